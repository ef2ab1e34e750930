//! A small typed key-value store with expiry, for sessions, rate-limit counters and cache entries
//! (the job Valkey does in a Plane install).
//!
//! Two backends behind one interface:
//! * SQLite mode: fjall, in `<data_dir>/kv`, owned by this one process;
//! * Postgres mode: the `kv_entries` table, so every node sharing the database sees the same
//!   sessions and counts the same rate-limit hits.
//!
//! Neither has native TTLs: each entry carries its expiry, reads treat expired entries as absent,
//! and the `purge_expired` cron job deletes them.

mod fjall_store;
mod rate_counters;
mod shared_counters;

use std::{
    path::Path,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use serde::{Serialize, de::DeserializeOwned};

use crate::db::{self, Db};

pub use fjall_store::FjallStore;
use shared_counters::SharedCounters;

/// What a value is for; each namespace is a separate fjall keyspace / key prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Namespace {
    Sessions,
    RateLimits,
    Cache,
    /// Magic sign-in codes and password-reset tokens.
    AuthCodes,
}

impl Namespace {
    pub const ALL: [Namespace; 4] = [
        Namespace::Sessions,
        Namespace::RateLimits,
        Namespace::Cache,
        Namespace::AuthCodes,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Namespace::Sessions => "sessions",
            Namespace::RateLimits => "rate_limits",
            Namespace::Cache => "cache",
            Namespace::AuthCodes => "auth_codes",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KvError {
    #[error("key-value store: {0}")]
    Fjall(#[from] fjall::Error),
    #[error("key-value store (database): {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("key-value store: value does not decode: {0}")]
    Decode(#[from] serde_json::Error),
    #[error("key-value store: background task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// The state of a counter after one increment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    pub count: u64,
    /// Unix milliseconds at which the counter resets.
    pub resets_at_ms: i64,
}

#[derive(Clone)]
pub enum Kv {
    Fjall(FjallStore),
    /// The database's `kv_entries`, with counter hits written in batches.
    Shared(Db, SharedCounters),
}

impl std::fmt::Debug for Kv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Kv::Fjall(_) => f.write_str("Kv::Fjall"),
            Kv::Shared(..) => f.write_str("Kv::Shared(database)"),
        }
    }
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The longest key stored as given. Keys are built from what clients send (an email address
/// can be 254 bytes), and the database backend's column holds 255 characters.
const MAX_KEY_BYTES: usize = 200;

/// How much of a longer key is kept in front of its digest: prefix scans (`{user}:` for
/// sessions) still find keys by any prefix up to this long.
const KEPT_HEAD_BYTES: usize = MAX_KEY_BYTES - 65;

/// `key` as stored: itself when short enough, else its head and the SHA-256 of the whole, so
/// two long keys stay distinct and the same key always lands on one entry.
fn stored_key(key: &str) -> std::borrow::Cow<'_, str> {
    use sha2::{Digest, Sha256};
    if key.len() <= MAX_KEY_BYTES {
        return key.into();
    }
    let head = key.floor_char_boundary(KEPT_HEAD_BYTES);
    format!("{}#{}", &key[..head], hex::encode(Sha256::digest(key))).into()
}

fn expiry(ttl: Option<Duration>) -> Option<i64> {
    ttl.map(|ttl| now_ms().saturating_add(ttl.as_millis() as i64))
}

impl Kv {
    pub fn open_fjall(dir: &Path) -> Result<Kv, KvError> {
        Ok(Kv::Fjall(FjallStore::open(dir)?))
    }

    pub fn shared(db: Db) -> Kv {
        Kv::Shared(db, SharedCounters::default())
    }

    pub async fn get<T: DeserializeOwned>(
        &self,
        ns: Namespace,
        key: &str,
    ) -> Result<Option<T>, KvError> {
        let key = &stored_key(key);
        let bytes = match self {
            Kv::Fjall(store) => store.get(ns, key, now_ms())?,
            Kv::Shared(db, _) => db::kv_entries::get(db, ns.as_str(), key, now_ms()).await?,
        };
        Ok(bytes.map(|b| serde_json::from_slice(&b)).transpose()?)
    }

    /// Stores `value` under `key`, replacing what was there; `ttl = None` never expires.
    pub async fn set<T: Serialize>(
        &self,
        ns: Namespace,
        key: &str,
        value: &T,
        ttl: Option<Duration>,
    ) -> Result<(), KvError> {
        let key = &stored_key(key);
        let bytes = serde_json::to_vec(value)?;
        match self {
            Kv::Fjall(store) => store.put(ns, key, &bytes, expiry(ttl))?,
            Kv::Shared(db, _) => {
                db::kv_entries::put(db, ns.as_str(), key, bytes, expiry(ttl)).await?
            }
        }
        Ok(())
    }

    /// Replaces the value of a live `key`, and only of a live one; false when it was not there
    /// (removed or expired). Atomic against [`Kv::remove`] on both backends.
    pub async fn replace<T: Serialize>(
        &self,
        ns: Namespace,
        key: &str,
        value: &T,
        ttl: Option<Duration>,
    ) -> Result<bool, KvError> {
        let key = &stored_key(key);
        let bytes = serde_json::to_vec(value)?;
        Ok(match self {
            Kv::Fjall(store) => store.replace(ns, key, &bytes, expiry(ttl), now_ms())?,
            Kv::Shared(db, _) => {
                db::kv_entries::replace(db, ns.as_str(), key, bytes, expiry(ttl), now_ms()).await?
            }
        })
    }

    /// Removes `key`; true when something was there. Atomic on both backends: of concurrent
    /// removals of one key, only one gets true (one-time secrets rely on it).
    pub async fn remove(&self, ns: Namespace, key: &str) -> Result<bool, KvError> {
        let key = &stored_key(key);
        Ok(match self {
            Kv::Fjall(store) => store.remove(ns, key)?,
            Kv::Shared(db, _) => db::kv_entries::delete(db, ns.as_str(), key).await?,
        })
    }

    /// Live entries whose key starts with `prefix`, in key order (a key longer than
    /// `MAX_KEY_BYTES` is found by a prefix of up to `KEPT_HEAD_BYTES`, and listed as stored).
    pub async fn scan_prefix<T: DeserializeOwned>(
        &self,
        ns: Namespace,
        prefix: &str,
    ) -> Result<Vec<(String, T)>, KvError> {
        let raw = match self {
            Kv::Fjall(store) => store.scan_prefix(ns, prefix, now_ms())?,
            Kv::Shared(db, _) => {
                db::kv_entries::scan_prefix(db, ns.as_str(), prefix, now_ms()).await?
            }
        };
        raw.into_iter()
            .map(|(k, v)| Ok((k, serde_json::from_slice(&v)?)))
            .collect()
    }

    /// Removes every entry whose key starts with `prefix`; returns how many went.
    pub async fn remove_prefix(&self, ns: Namespace, prefix: &str) -> Result<u64, KvError> {
        Ok(match self {
            Kv::Fjall(store) => store.remove_prefix(ns, prefix)?,
            Kv::Shared(db, _) => db::kv_entries::delete_prefix(db, ns.as_str(), prefix).await?,
        })
    }

    /// Counts one hit on a fixed-window counter: the first hit starts a window of `window`,
    /// hits inside it add up, and the counter starts again after it. Atomic on both backends.
    pub async fn increment(
        &self,
        ns: Namespace,
        key: &str,
        window: Duration,
    ) -> Result<Counter, KvError> {
        let key = &stored_key(key);
        let now = now_ms();
        let window_end = now.saturating_add(window.as_millis() as i64);
        let (count, resets_at_ms) = match self {
            Kv::Fjall(store) => store.increment(ns, key, now, window_end)?,
            Kv::Shared(db, counters) => counters.hit(db, ns.as_str(), key, window_end).await?,
        };
        Ok(Counter {
            count: count.max(0) as u64,
            resets_at_ms,
        })
    }

    /// The current state of a live counter (None when absent or expired), without counting a
    /// hit. A counter that never expires reports `resets_at_ms` 0.
    pub async fn counter(&self, ns: Namespace, key: &str) -> Result<Option<Counter>, KvError> {
        let key = &stored_key(key);
        let found = match self {
            Kv::Fjall(store) => store.counter(ns, key, now_ms())?,
            Kv::Shared(db, _) => db::kv_entries::counter(db, ns.as_str(), key, now_ms())
                .await?
                .map(|(count, expiry)| (count, expiry.unwrap_or(0))),
        };
        Ok(found.map(|(count, resets_at_ms)| Counter {
            count: count.max(0) as u64,
            resets_at_ms,
        }))
    }

    /// Deletes every expired entry; returns how many went.
    pub async fn purge_expired(&self) -> Result<u64, KvError> {
        match self {
            Kv::Fjall(store) => {
                let store = store.clone();
                Ok(tokio::task::spawn_blocking(move || store.purge_expired(now_ms())).await??)
            }
            Kv::Shared(db, _) => Ok(db::kv_entries::purge_expired(db, now_ms()).await?),
        }
    }

    /// Entries physically stored, expired ones included (diagnostics and tests).
    pub async fn stored_entries(&self) -> Result<u64, KvError> {
        match self {
            Kv::Fjall(store) => {
                let store = store.clone();
                Ok(tokio::task::spawn_blocking(move || store.count_all()).await??)
            }
            Kv::Shared(db, _) => Ok(db::kv_entries::count_all(db).await?),
        }
    }

    /// A write and read of a probe entry, for readiness.
    pub async fn ping(&self) -> Result<(), KvError> {
        self.set(
            Namespace::Cache,
            "readyz",
            &now_ms(),
            Some(Duration::from_secs(60)),
        )
        .await?;
        self.get::<i64>(Namespace::Cache, "readyz")
            .await
            .map(|_| ())
    }

    /// Makes every acknowledged write durable on disk (fjall); a no-op for the database backend.
    pub fn flush(&self) -> Result<(), KvError> {
        match self {
            Kv::Fjall(store) => Ok(store.flush()?),
            Kv::Shared(..) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_keys_are_bounded_distinct_and_keep_their_head() {
        assert_eq!(stored_key("magic:ada@example.com"), "magic:ada@example.com");
        let email = |c: char| {
            format!(
                "signin-failures:{}@example.com:0",
                c.to_string().repeat(240)
            )
        };
        let (long_a, long_b) = (email('a'), email('b'));
        let (a, b) = (stored_key(&long_a), stored_key(&long_b));
        assert!(a.len() <= MAX_KEY_BYTES && b.len() <= MAX_KEY_BYTES, "{a}");
        assert_ne!(a, b);
        assert_eq!(a, stored_key(&long_a.clone()));
        assert!(a.starts_with("signin-failures:aaaa"));
        // Cut on a character boundary, never inside one.
        let wide = format!("k:{}", "é".repeat(150));
        assert!(stored_key(&wide).len() <= MAX_KEY_BYTES);
    }
}
