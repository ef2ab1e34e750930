//! Queries on `kv_entries`: the key-value store shared by every node when the database is
//! Postgres (sessions, rate-limit counters, cache). Times are Unix milliseconds; an expired row
//! is treated as absent on read and removed by the purge job.

use sea_orm::{ConnectionTrait, DbErr, Statement, Value};

use super::Db;

fn stmt(db: &Db, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(db.backend(), sql, values)
}

pub async fn get(
    db: &Db,
    namespace: &str,
    key: &str,
    now_ms: i64,
) -> Result<Option<Vec<u8>>, DbErr> {
    let row = db
        .conn
        .query_one_raw(stmt(
            db,
            "SELECT value FROM kv_entries WHERE namespace = $1 AND key = $2 \
             AND (expires_at IS NULL OR expires_at > $3)",
            vec![namespace.into(), key.into(), now_ms.into()],
        ))
        .await?;
    row.map(|r| r.try_get::<Vec<u8>>("", "value")).transpose()
}

pub async fn put(
    db: &Db,
    namespace: &str,
    key: &str,
    value: Vec<u8>,
    expires_at_ms: Option<i64>,
) -> Result<(), DbErr> {
    db.conn
        .execute_raw(stmt(
            db,
            "INSERT INTO kv_entries (namespace, key, value, counter, expires_at) VALUES ($1, $2, $3, 0, $4) \
             ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, counter = 0, \
             expires_at = excluded.expires_at",
            vec![namespace.into(), key.into(), value.into(), expires_at_ms.into()],
        ))
        .await
        .map(|_| ())
}

/// Replaces the value of a live entry, and only of a live one: an entry removed meanwhile stays
/// removed (a revoked session is never written back). True when it was replaced.
pub async fn replace(
    db: &Db,
    namespace: &str,
    key: &str,
    value: Vec<u8>,
    expires_at_ms: Option<i64>,
    now_ms: i64,
) -> Result<bool, DbErr> {
    db.conn
        .execute_raw(stmt(
            db,
            "UPDATE kv_entries SET value = $3, counter = 0, expires_at = $4 \
             WHERE namespace = $1 AND key = $2 AND (expires_at IS NULL OR expires_at > $5)",
            vec![
                namespace.into(),
                key.into(),
                value.into(),
                expires_at_ms.into(),
                now_ms.into(),
            ],
        ))
        .await
        .map(|r| r.rows_affected() > 0)
}

pub async fn delete(db: &Db, namespace: &str, key: &str) -> Result<bool, DbErr> {
    db.conn
        .execute_raw(stmt(
            db,
            "DELETE FROM kv_entries WHERE namespace = $1 AND key = $2",
            vec![namespace.into(), key.into()],
        ))
        .await
        .map(|r| r.rows_affected() > 0)
}

/// Hits to count on one counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterHits {
    pub namespace: &'static str,
    pub key: String,
    pub hits: i64,
    /// Expiry for a counter that starts afresh with these hits.
    pub window_end_ms: i64,
}

/// Adds each entry's hits to its counter, all in one statement, so concurrent nodes never lose
/// a hit. A missing or expired counter restarts at the entry's hits with expiry
/// `window_end_ms`. Returns, in `entries`' order, each counter's new count and expiry.
/// Entries name distinct counters; callers sort them, so that two nodes' statements lock rows in
/// the same order.
pub async fn increment_many(
    db: &Db,
    entries: &[CounterHits],
    now_ms: i64,
) -> Result<CountedHits, DbErr> {
    if entries.is_empty() {
        return Ok(CountedHits::default());
    }
    let mut values: Vec<Value> = vec![now_ms.into(), Vec::<u8>::new().into()];
    let mut rows = Vec::with_capacity(entries.len());
    for entry in entries {
        let n = values.len();
        rows.push(format!(
            "(${}, ${}, $2, ${}, ${})",
            n + 1,
            n + 2,
            n + 3,
            n + 4
        ));
        values.extend([
            entry.namespace.into(),
            entry.key.clone().into(),
            entry.hits.into(),
            entry.window_end_ms.into(),
        ]);
    }
    // The change counter is read by the same statement (one snapshot, taken when it starts):
    // the node's cache may use that reading instead of a round trip of its own.
    // The commit does not wait for the WAL to reach the disk (`synchronous_commit` off for this
    // transaction only, as `SET LOCAL` would): every API request waits for this write, and one
    // slow fsync (20-30 ms seen under load) stalled them all. A Postgres crash may forget the
    // hits of its last fraction of a second (at most three `wal_writer_delay`s), never
    // corrupt a count; rate-limit and lock-out counters can afford that.
    let sql = format!(
        "WITH hit AS (\
         INSERT INTO kv_entries (namespace, key, value, counter, expires_at) VALUES {} \
         ON CONFLICT (namespace, key) DO UPDATE SET \
           counter = CASE WHEN kv_entries.expires_at IS NOT NULL AND kv_entries.expires_at <= $1 \
                          THEN excluded.counter ELSE kv_entries.counter + excluded.counter END, \
           expires_at = CASE WHEN kv_entries.expires_at IS NOT NULL AND kv_entries.expires_at <= $1 \
                             THEN excluded.expires_at ELSE kv_entries.expires_at END \
         RETURNING namespace, key, counter, expires_at) \
         SELECT hit.*, (SELECT coalesce(sum(version), 0)::bigint FROM change_counters) \
           AS change_version \
         FROM hit, (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit",
        rows.join(", ")
    );
    let returned = db.conn.query_all_raw(stmt(db, &sql, values)).await?;
    let mut counts = std::collections::HashMap::with_capacity(returned.len());
    let mut change_version = None;
    for row in &returned {
        change_version = Some(row.try_get::<i64>("", "change_version")?);
        let namespace: String = row.try_get("", "namespace")?;
        let key: String = row.try_get("", "key")?;
        let count: i64 = row.try_get("", "counter")?;
        let expires: Option<i64> = row.try_get("", "expires_at")?;
        counts.insert((namespace, key), (count, expires));
    }
    let counts = entries
        .iter()
        .map(|entry| {
            let (count, expires) = counts
                .get(&(entry.namespace.to_string(), entry.key.clone()))
                .copied()
                .ok_or_else(|| DbErr::RecordNotFound(format!("kv counter {}", entry.key)))?;
            Ok((count, expires.unwrap_or(entry.window_end_ms)))
        })
        .collect::<Result<_, DbErr>>()?;
    Ok(CountedHits {
        counts,
        change_version,
    })
}

/// What [`increment_many`] wrote: each counter's count and expiry, in the order given, and the
/// change counter as the statement saw it.
#[derive(Debug, Default)]
pub struct CountedHits {
    pub counts: Vec<(i64, i64)>,
    pub change_version: Option<i64>,
}

/// Live entries whose key starts with `prefix` (compared with substr, so `%`/`_` are plain).
pub async fn scan_prefix(
    db: &Db,
    namespace: &str,
    prefix: &str,
    now_ms: i64,
) -> Result<Vec<(String, Vec<u8>)>, DbErr> {
    let rows = db
        .conn
        .query_all_raw(stmt(
            db,
            "SELECT key, value FROM kv_entries WHERE namespace = $1 AND substr(key, 1, CAST($2 AS INTEGER)) = $3 \
             AND (expires_at IS NULL OR expires_at > $4) ORDER BY key",
            vec![namespace.into(), (prefix.chars().count() as i64).into(), prefix.into(), now_ms.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<String>("", "key")?,
                r.try_get::<Vec<u8>>("", "value")?,
            ))
        })
        .collect()
}

pub async fn delete_prefix(db: &Db, namespace: &str, prefix: &str) -> Result<u64, DbErr> {
    db.conn
        .execute_raw(stmt(
            db,
            "DELETE FROM kv_entries WHERE namespace = $1 AND substr(key, 1, CAST($2 AS INTEGER)) = $3",
            vec![namespace.into(), (prefix.chars().count() as i64).into(), prefix.into()],
        ))
        .await
        .map(|r| r.rows_affected())
}

/// A live counter's count and expiry (Unix ms, None when it never expires), or None.
pub async fn counter(
    db: &Db,
    namespace: &str,
    key: &str,
    now_ms: i64,
) -> Result<Option<(i64, Option<i64>)>, DbErr> {
    let row = db
        .conn
        .query_one_raw(stmt(
            db,
            "SELECT counter, expires_at FROM kv_entries WHERE namespace = $1 AND key = $2 \
             AND (expires_at IS NULL OR expires_at > $3)",
            vec![namespace.into(), key.into(), now_ms.into()],
        ))
        .await?;
    row.map(|r| {
        Ok((
            r.try_get::<i64>("", "counter")?,
            r.try_get::<Option<i64>>("", "expires_at")?,
        ))
    })
    .transpose()
}

/// Removes expired entries; returns how many went.
pub async fn purge_expired(db: &Db, now_ms: i64) -> Result<u64, DbErr> {
    db.conn
        .execute_raw(stmt(
            db,
            "DELETE FROM kv_entries WHERE expires_at IS NOT NULL AND expires_at <= $1",
            vec![now_ms.into()],
        ))
        .await
        .map(|r| r.rows_affected())
}

/// Every stored entry, expired or not (for tests and diagnostics).
pub async fn count_all(db: &Db) -> Result<u64, DbErr> {
    let row = db
        .conn
        .query_one_raw(stmt(db, "SELECT COUNT(*) AS n FROM kv_entries", vec![]))
        .await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0) as u64)
}
