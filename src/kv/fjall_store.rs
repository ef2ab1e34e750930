//! The fjall backend: one keyspace per namespace; each value is an 8-byte big-endian expiry in
//! Unix milliseconds (0 = never) followed by the payload. Counters keep an 8-byte count as payload.
//!
//! fjall flushes every write to the operating system before returning (its default), so an
//! acknowledged write survives a killed process.

use std::{
    collections::HashMap,
    path::Path,
    sync::{Arc, Mutex},
};

use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode};

use super::Namespace;

const EXPIRY_LEN: usize = 8;

#[derive(Clone)]
pub struct FjallStore {
    db: Database,
    keyspaces: Arc<HashMap<Namespace, Keyspace>>,
    /// Serialises read-modify-write of counters and check-and-remove (fjall point writes are
    /// otherwise independent).
    counter_lock: Arc<Mutex<()>>,
}

fn encode(expires_at_ms: Option<i64>, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(EXPIRY_LEN + payload.len());
    out.extend_from_slice(&expires_at_ms.unwrap_or(0).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// Splits a stored value into (expiry, payload); `None` for a value too short to be ours.
fn decode(stored: &[u8]) -> Option<(i64, &[u8])> {
    let (head, payload) = stored.split_at_checked(EXPIRY_LEN)?;
    let expiry = i64::from_be_bytes(head.try_into().ok()?);
    Some((expiry, payload))
}

fn is_live(expiry: i64, now_ms: i64) -> bool {
    expiry == 0 || expiry > now_ms
}

impl FjallStore {
    pub fn open(dir: &Path) -> Result<FjallStore, fjall::Error> {
        let db = Database::builder(dir).open()?;
        let mut keyspaces = HashMap::new();
        for ns in Namespace::ALL {
            keyspaces.insert(
                ns,
                db.keyspace(ns.as_str(), KeyspaceCreateOptions::default)?,
            );
        }
        Ok(FjallStore {
            db,
            keyspaces: Arc::new(keyspaces),
            counter_lock: Arc::new(Mutex::new(())),
        })
    }

    fn keyspace(&self, ns: Namespace) -> &Keyspace {
        // Every namespace is opened in `open`.
        &self.keyspaces[&ns]
    }

    pub fn get(
        &self,
        ns: Namespace,
        key: &str,
        now_ms: i64,
    ) -> Result<Option<Vec<u8>>, fjall::Error> {
        let Some(stored) = self.keyspace(ns).get(key)? else {
            return Ok(None);
        };
        Ok(decode(&stored)
            .filter(|(expiry, _)| is_live(*expiry, now_ms))
            .map(|(_, payload)| payload.to_vec()))
    }

    pub fn put(
        &self,
        ns: Namespace,
        key: &str,
        payload: &[u8],
        expires_at_ms: Option<i64>,
    ) -> Result<(), fjall::Error> {
        self.keyspace(ns)
            .insert(key, encode(expires_at_ms, payload))
    }

    /// Atomic: of concurrent removals of one key, only one is told it was there.
    pub fn remove(&self, ns: Namespace, key: &str) -> Result<bool, fjall::Error> {
        let _guard = self
            .counter_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let keyspace = self.keyspace(ns);
        let existed = keyspace.contains_key(key)?;
        keyspace.remove(key)?;
        Ok(existed)
    }

    pub fn scan_prefix(
        &self,
        ns: Namespace,
        prefix: &str,
        now_ms: i64,
    ) -> Result<Vec<(String, Vec<u8>)>, fjall::Error> {
        let mut out = Vec::new();
        for guard in self.keyspace(ns).prefix(prefix) {
            let (key, value) = guard.into_inner()?;
            if let Some((expiry, payload)) = decode(&value)
                && is_live(expiry, now_ms)
            {
                out.push((String::from_utf8_lossy(&key).into_owned(), payload.to_vec()));
            }
        }
        Ok(out)
    }

    pub fn remove_prefix(&self, ns: Namespace, prefix: &str) -> Result<u64, fjall::Error> {
        let keyspace = self.keyspace(ns);
        let mut keys = Vec::new();
        for guard in keyspace.prefix(prefix) {
            keys.push(guard.key()?);
        }
        let n = keys.len() as u64;
        for key in keys {
            keyspace.remove(key)?;
        }
        Ok(n)
    }

    /// A live counter's count and expiry (Unix ms), or None.
    pub fn counter(
        &self,
        ns: Namespace,
        key: &str,
        now_ms: i64,
    ) -> Result<Option<(i64, i64)>, fjall::Error> {
        Ok(self.keyspace(ns).get(key)?.and_then(|stored| {
            let (expiry, payload) = decode(&stored)?;
            let count = i64::from_be_bytes(payload.try_into().ok()?);
            is_live(expiry, now_ms).then_some((count, expiry))
        }))
    }

    pub fn increment(
        &self,
        ns: Namespace,
        key: &str,
        now_ms: i64,
        window_end_ms: i64,
    ) -> Result<(i64, i64), fjall::Error> {
        let _guard = self
            .counter_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let keyspace = self.keyspace(ns);
        let current = keyspace.get(key)?.and_then(|stored| {
            let (expiry, payload) = decode(&stored)?;
            let count = i64::from_be_bytes(payload.try_into().ok()?);
            is_live(expiry, now_ms).then_some((count, expiry))
        });
        let (count, expiry) = match current {
            Some((count, expiry)) => (count.saturating_add(1), expiry),
            None => (1, window_end_ms),
        };
        keyspace.insert(key, encode(Some(expiry), &count.to_be_bytes()))?;
        Ok((count, expiry))
    }

    pub fn purge_expired(&self, now_ms: i64) -> Result<u64, fjall::Error> {
        let mut removed = 0;
        for keyspace in self.keyspaces.values() {
            let mut expired = Vec::new();
            for guard in keyspace.iter() {
                let (key, value) = guard.into_inner()?;
                let dead = match decode(&value) {
                    Some((expiry, _)) => !is_live(expiry, now_ms),
                    None => true,
                };
                if dead {
                    expired.push(key);
                }
            }
            for key in expired {
                keyspace.remove(key)?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    pub fn count_all(&self) -> Result<u64, fjall::Error> {
        let mut n = 0;
        for keyspace in self.keyspaces.values() {
            n += keyspace.len()? as u64;
        }
        Ok(n)
    }

    pub fn flush(&self) -> Result<(), fjall::Error> {
        self.db.persist(PersistMode::SyncAll)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_expire_on_read_and_on_purge() {
        let dir = tempfile::tempdir().unwrap();
        let store = FjallStore::open(dir.path()).unwrap();
        store
            .put(Namespace::Sessions, "a", b"live", Some(2_000))
            .unwrap();
        store
            .put(Namespace::Sessions, "b", b"dead", Some(500))
            .unwrap();
        store.put(Namespace::Cache, "c", b"forever", None).unwrap();
        assert_eq!(
            store
                .get(Namespace::Sessions, "a", 1_000)
                .unwrap()
                .as_deref(),
            Some(&b"live"[..])
        );
        assert_eq!(store.get(Namespace::Sessions, "b", 1_000).unwrap(), None);
        assert_eq!(store.purge_expired(1_000).unwrap(), 1);
        assert_eq!(store.count_all().unwrap(), 2);
        assert_eq!(
            store
                .get(Namespace::Cache, "c", i64::MAX - 1)
                .unwrap()
                .as_deref(),
            Some(&b"forever"[..])
        );
    }

    #[test]
    fn counters_count_within_a_window_and_restart_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = FjallStore::open(dir.path()).unwrap();
        assert_eq!(
            store
                .increment(Namespace::RateLimits, "k", 0, 60_000)
                .unwrap(),
            (1, 60_000)
        );
        assert_eq!(
            store
                .increment(Namespace::RateLimits, "k", 10, 60_010)
                .unwrap(),
            (2, 60_000)
        );
        assert_eq!(
            store
                .increment(Namespace::RateLimits, "k", 60_000, 120_000)
                .unwrap(),
            (1, 120_000)
        );
    }

    #[test]
    fn writes_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = FjallStore::open(dir.path()).unwrap();
            store.put(Namespace::Sessions, "s", b"x", None).unwrap();
        }
        let store = FjallStore::open(dir.path()).unwrap();
        assert!(store.get(Namespace::Sessions, "s", 0).unwrap().is_some());
    }
}
