//! Reads and repairs of the job queue's own tables (apalis: `Jobs` in `queue.db` for SQLite,
//! `apalis.jobs` for Postgres). apalis owns writes in normal operation; this module lists jobs,
//! puts dead ones back, and deletes finished jobs and gone workers (for the purge cron job).

use chrono::{DateTime, Utc};
use sea_orm::sqlx::{self, PgPool, Row, SqlitePool};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    All,
    /// Waiting to run (including delayed jobs).
    Pending,
    Running,
    Done,
    /// Failed, with attempts left: will be retried.
    Failed,
    /// Failed on every attempt, or aborted: will not run again unless retried by hand.
    Dead,
}

impl StatusFilter {
    pub fn parse(text: &str) -> Option<StatusFilter> {
        Some(match text {
            "all" => StatusFilter::All,
            "pending" => StatusFilter::Pending,
            "running" => StatusFilter::Running,
            "done" => StatusFilter::Done,
            "failed" => StatusFilter::Failed,
            "dead" => StatusFilter::Dead,
            _ => return None,
        })
    }

    fn condition(self) -> &'static str {
        match self {
            StatusFilter::All => "1 = 1",
            StatusFilter::Pending => "status = 'Pending'",
            StatusFilter::Running => "status IN ('Queued', 'Running')",
            StatusFilter::Done => "status = 'Done'",
            StatusFilter::Failed => "status = 'Failed' AND attempts < max_attempts",
            StatusFilter::Dead => DEAD,
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct JobRecord {
    pub id: String,
    /// pending, running, done, failed (will retry) or dead.
    pub state: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: Option<DateTime<Utc>>,
    pub done_at: Option<DateTime<Utc>>,
    pub last_result: Option<String>,
    pub worker: Option<String>,
    /// The job itself, as stored (JSON).
    pub job: serde_json::Value,
}

fn state(status: &str, attempts: i64, max_attempts: i64) -> String {
    match status {
        "Pending" => "pending",
        "Queued" | "Running" => "running",
        "Done" => "done",
        "Failed" if attempts < max_attempts => "failed",
        _ => "dead",
    }
    .to_string()
}

fn job_json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

pub async fn list_sqlite(
    pool: &SqlitePool,
    queue: &str,
    filter: StatusFilter,
    limit: u32,
) -> Result<Vec<JobRecord>, sqlx::Error> {
    let sql = format!(
        "SELECT id, status, attempts, max_attempts, run_at, done_at, last_result, lock_by, job \
         FROM Jobs WHERE job_type = ?1 AND {} ORDER BY run_at DESC, id DESC LIMIT ?2",
        filter.condition()
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(queue)
        .bind(limit as i64)
        .fetch_all(pool)
        .await?;
    let at = |secs: Option<i64>| secs.and_then(|s| DateTime::from_timestamp(s, 0));
    rows.iter()
        .map(|row| {
            let status: String = row.try_get("status")?;
            let attempts: i64 = row.try_get("attempts")?;
            let max_attempts: i64 = row.try_get("max_attempts")?;
            Ok(JobRecord {
                id: row.try_get("id")?,
                state: state(&status, attempts, max_attempts),
                attempts,
                max_attempts,
                run_at: at(row.try_get("run_at")?),
                done_at: at(row.try_get("done_at")?),
                last_result: row.try_get("last_result")?,
                worker: row.try_get("lock_by")?,
                job: job_json(&row.try_get::<Vec<u8>, _>("job")?),
            })
        })
        .collect()
}

pub async fn list_postgres(
    pool: &PgPool,
    queue: &str,
    filter: StatusFilter,
    limit: u32,
) -> Result<Vec<JobRecord>, sqlx::Error> {
    let sql = format!(
        "SELECT id, status, attempts::bigint AS attempts, max_attempts::bigint AS max_attempts, run_at, done_at, \
         last_result::text AS last_result, lock_by, job \
         FROM apalis.jobs WHERE job_type = $1 AND {} ORDER BY run_at DESC, id DESC LIMIT $2",
        filter.condition()
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(queue)
        .bind(limit as i64)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| {
            let status: String = row.try_get("status")?;
            let attempts: i64 = row.try_get("attempts")?;
            let max_attempts: i64 = row.try_get("max_attempts")?;
            Ok(JobRecord {
                id: row.try_get("id")?,
                state: state(&status, attempts, max_attempts),
                attempts,
                max_attempts,
                run_at: row.try_get("run_at")?,
                done_at: row.try_get("done_at")?,
                last_result: row.try_get("last_result")?,
                worker: row.try_get("lock_by")?,
                job: job_json(&row.try_get::<Vec<u8>, _>("job")?),
            })
        })
        .collect()
}

const RETRYABLE: &str = "(status = 'Killed' OR status = 'Failed')";

pub async fn retry_sqlite(pool: &SqlitePool, queue: &str, id: &str) -> Result<bool, sqlx::Error> {
    let sql = format!(
        "UPDATE Jobs SET status = 'Pending', attempts = 0, run_at = strftime('%s', 'now'), \
         lock_by = NULL, lock_at = NULL, done_at = NULL WHERE id = ?1 AND job_type = ?2 AND {RETRYABLE}"
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(queue)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn retry_postgres(pool: &PgPool, queue: &str, id: &str) -> Result<bool, sqlx::Error> {
    let sql = format!(
        "UPDATE apalis.jobs SET status = 'Pending', attempts = 0, run_at = now(), \
         lock_by = NULL, lock_at = NULL, done_at = NULL WHERE id = $1 AND job_type = $2 AND {RETRYABLE}"
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(queue)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Dead jobs, as the Dead filter has them.
const DEAD: &str = "(status = 'Killed' OR (status = 'Failed' AND attempts >= max_attempts))";

/// Deletes done jobs finished before `done_before` and dead ones before `dead_before`; returns
/// how many went.
pub async fn purge_finished_sqlite(
    pool: &SqlitePool,
    queue: &str,
    done_before: DateTime<Utc>,
    dead_before: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let sql = format!(
        "DELETE FROM Jobs WHERE job_type = ?1 AND ((status = 'Done' AND done_at < ?2) \
         OR ({DEAD} AND COALESCE(done_at, run_at) < ?3))"
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(queue)
        .bind(done_before.timestamp())
        .bind(dead_before.timestamp())
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

pub async fn purge_finished_postgres(
    pool: &PgPool,
    queue: &str,
    done_before: DateTime<Utc>,
    dead_before: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let sql = format!(
        "DELETE FROM apalis.jobs WHERE job_type = $1 AND ((status = 'Done' AND done_at < $2) \
         OR ({DEAD} AND COALESCE(done_at, run_at) < $3))"
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(queue)
        .bind(done_before)
        .bind(dead_before)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

/// Deletes the registrations of this queue's workers last seen before `seen_before` that no job
/// names (a job keeps the name of the worker that ran it until the job is purged). Every start of a
/// node registers a worker under a fresh name, so without this the table grows with every restart.
pub async fn purge_gone_workers_sqlite(
    pool: &SqlitePool,
    queue: &str,
    seen_before: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let gone = sqlx::query(
        "DELETE FROM Workers WHERE worker_type = ?1 AND last_seen < ?2 \
         AND NOT EXISTS (SELECT 1 FROM Jobs WHERE Jobs.lock_by = Workers.id)",
    )
    .bind(queue)
    .bind(seen_before.timestamp())
    .execute(pool)
    .await?;
    Ok(gone.rows_affected())
}

pub async fn purge_gone_workers_postgres(
    pool: &PgPool,
    queue: &str,
    seen_before: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let gone = sqlx::query(
        "DELETE FROM apalis.workers w WHERE w.worker_type = $1 AND w.last_seen < $2 \
         AND NOT EXISTS (SELECT 1 FROM apalis.jobs j WHERE j.lock_by = w.id)",
    )
    .bind(queue)
    .bind(seen_before)
    .execute(pool)
    .await?;
    Ok(gone.rows_affected())
}
