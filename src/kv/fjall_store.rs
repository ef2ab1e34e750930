//! The fjall backend: one keyspace per namespace; each value is an 8-byte big-endian expiry in
//! Unix milliseconds (0 = never) followed by the payload. Counters keep an 8-byte count as payload.
//!
//! fjall flushes every write to the operating system before returning (its default), so an
//! acknowledged write survives a killed process. Rate-limit counters are the exception: they are
//! counted in memory and written behind, once a second ([`super::rate_counters`]).

use std::{
    collections::HashMap,
    path::Path,
    sync::{Arc, Mutex, MutexGuard, PoisonError, Weak},
};

use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode};

use super::{
    Namespace,
    rate_counters::{RateCounters, WRITE_BEHIND},
};

const EXPIRY_LEN: usize = 8;

#[derive(Clone)]
pub struct FjallStore {
    inner: Arc<Inner>,
}

struct Inner {
    db: Database,
    keyspaces: HashMap<Namespace, Keyspace>,
    /// The rate-limit counters; its lock also serialises read-modify-write of the other
    /// counters and check-and-remove (fjall point writes are otherwise independent).
    counters: Mutex<RateCounters>,
}

pub(super) fn encode(expires_at_ms: Option<i64>, payload: &[u8]) -> Vec<u8> {
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

/// The live counter stored under `key`: (count, expiry).
pub(super) fn live_counter(
    keyspace: &Keyspace,
    key: &str,
    now_ms: i64,
) -> Result<Option<(i64, i64)>, fjall::Error> {
    Ok(keyspace.get(key)?.and_then(|stored| {
        let (expiry, payload) = decode(&stored)?;
        let count = i64::from_be_bytes(payload.try_into().ok()?);
        is_live(expiry, now_ms).then_some((count, expiry))
    }))
}

/// A fixed-window counter after one more hit: the live one plus one, or a new window's first.
pub(super) fn one_more(live: Option<(i64, i64)>, window_end_ms: i64) -> (i64, i64) {
    match live {
        Some((count, expiry)) => (count.saturating_add(1), expiry),
        None => (1, window_end_ms),
    }
}

pub(super) fn is_live(expiry: i64, now_ms: i64) -> bool {
    expiry == 0 || expiry > now_ms
}

impl Inner {
    fn keyspace(&self, ns: Namespace) -> &Keyspace {
        // Every namespace is opened in `open`.
        &self.keyspaces[&ns]
    }

    fn counters(&self) -> MutexGuard<'_, RateCounters> {
        self.counters.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn write_counters(&self) -> Result<(), fjall::Error> {
        self.counters()
            .write_changed(self.keyspace(Namespace::RateLimits), super::now_ms())
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Err(error) = self.write_counters() {
            tracing::warn!(%error, "cannot write the rate-limit counters");
        }
    }
}

/// Writes changed rate-limit counters every [`WRITE_BEHIND`] until the store is gone.
fn write_behind(store: Weak<Inner>) {
    loop {
        std::thread::sleep(WRITE_BEHIND);
        let Some(inner) = store.upgrade() else {
            return;
        };
        if let Err(error) = inner.write_counters() {
            tracing::warn!(%error, "cannot write the rate-limit counters");
        }
    }
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
        let inner = Arc::new(Inner {
            db,
            keyspaces,
            counters: Mutex::new(RateCounters::default()),
        });
        let store = Arc::downgrade(&inner);
        std::thread::Builder::new()
            .name("kv-counters".into())
            .spawn(move || write_behind(store))?;
        Ok(FjallStore { inner })
    }

    fn keyspace(&self, ns: Namespace) -> &Keyspace {
        self.inner.keyspace(ns)
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
        // Under the store's lock, as every write: a purge re-checks an entry's expiry under it
        // before removing it. Replacing a counter: memory must not write its count over this.
        let mut counters = self.inner.counters();
        if ns == Namespace::RateLimits {
            counters.forget(key);
        }
        self.keyspace(ns)
            .insert(key, encode(expires_at_ms, payload))
    }

    /// Replaces a live entry's value, and only a live one's. Under the lock that [`Self::remove`]
    /// holds, so a removal is never undone by a replacement that read the entry before it.
    pub fn replace(
        &self,
        ns: Namespace,
        key: &str,
        payload: &[u8],
        expires_at_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<bool, fjall::Error> {
        let mut counters = self.inner.counters();
        if ns == Namespace::RateLimits {
            counters.forget(key);
        }
        let keyspace = self.keyspace(ns);
        let live = keyspace
            .get(key)?
            .and_then(|stored| decode(&stored).map(|(expiry, _)| is_live(expiry, now_ms)))
            .unwrap_or(false);
        if live {
            keyspace.insert(key, encode(expires_at_ms, payload))?;
        }
        Ok(live)
    }

    /// Atomic: of concurrent removals of one key, only one is told it was there.
    pub fn remove(&self, ns: Namespace, key: &str) -> Result<bool, fjall::Error> {
        let mut counters = self.inner.counters();
        let counted = ns == Namespace::RateLimits && counters.forget(key);
        let keyspace = self.keyspace(ns);
        let existed = keyspace.contains_key(key)?;
        keyspace.remove(key)?;
        Ok(existed || counted)
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
        let mut counters = self.inner.counters();
        if ns == Namespace::RateLimits {
            counters.forget_prefix(prefix);
        }
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
        let counters = self.inner.counters();
        let keyspace = self.keyspace(ns);
        if ns == Namespace::RateLimits {
            return counters.get(keyspace, key, now_ms);
        }
        live_counter(keyspace, key, now_ms)
    }

    /// Counts one hit on a fixed-window counter: (count, expiry) after it.
    pub fn increment(
        &self,
        ns: Namespace,
        key: &str,
        now_ms: i64,
        window_end_ms: i64,
    ) -> Result<(i64, i64), fjall::Error> {
        let mut counters = self.inner.counters();
        let keyspace = self.keyspace(ns);
        if ns == Namespace::RateLimits {
            return counters.increment(keyspace, key, now_ms, window_end_ms);
        }
        let (count, expiry) = one_more(live_counter(keyspace, key, now_ms)?, window_end_ms);
        keyspace.insert(key, encode(Some(expiry), &count.to_be_bytes()))?;
        Ok((count, expiry))
    }

    pub fn purge_expired(&self, now_ms: i64) -> Result<u64, fjall::Error> {
        let mut removed = 0;
        for ns in self.inner.keyspaces.keys() {
            let expired = self.expired_keys(*ns, now_ms)?;
            removed += self.remove_if_expired(*ns, expired, now_ms)?;
        }
        Ok(removed)
    }

    /// The keys of `ns` whose entries are expired (or unreadable) at `now_ms`.
    fn expired_keys(&self, ns: Namespace, now_ms: i64) -> Result<Vec<fjall::Slice>, fjall::Error> {
        let mut expired = Vec::new();
        for guard in self.keyspace(ns).iter() {
            let (key, value) = guard.into_inner()?;
            if is_expired(&value, now_ms) {
                expired.push(key);
            }
        }
        Ok(expired)
    }

    /// Removes those of `keys` still expired, key by key under the store's lock, which every
    /// write takes: an entry written again since the scan (a new sign-in code under its
    /// address's key) is live and stays. A counter memory holds is newer than its copy here:
    /// memory's write-behind decides about it.
    fn remove_if_expired(
        &self,
        ns: Namespace,
        keys: Vec<fjall::Slice>,
        now_ms: i64,
    ) -> Result<u64, fjall::Error> {
        let keyspace = self.keyspace(ns);
        let mut removed = 0;
        for key in keys {
            let counters = self.inner.counters();
            if ns == Namespace::RateLimits && counters.holds(&key) {
                continue;
            }
            if keyspace
                .get(&key)?
                .is_some_and(|value| is_expired(&value, now_ms))
            {
                keyspace.remove(key)?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    pub fn count_all(&self) -> Result<u64, fjall::Error> {
        let mut n = 0;
        for keyspace in self.inner.keyspaces.values() {
            n += keyspace.len()? as u64;
        }
        Ok(n)
    }

    /// Writes the rate-limit counters and makes everything durable on disk.
    pub fn flush(&self) -> Result<(), fjall::Error> {
        self.inner.write_counters()?;
        self.inner.db.persist(PersistMode::SyncAll)
    }
}

/// Whether a stored entry is past its expiry at `now_ms` (or unreadable, so of no use).
fn is_expired(stored: &[u8], now_ms: i64) -> bool {
    decode(stored).is_none_or(|(expiry, _)| !is_live(expiry, now_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_written_again_after_the_purge_scanned_it_stays() {
        let dir = tempfile::tempdir().unwrap();
        let store = FjallStore::open(dir.path()).unwrap();
        let ns = Namespace::AuthCodes;
        store
            .put(ns, "magic:a@example.com", b"old", Some(500))
            .unwrap();
        let expired = store.expired_keys(ns, 1_000).unwrap();
        assert_eq!(expired.len(), 1);
        // A new code under the same key lands between the scan and the removal.
        store
            .put(ns, "magic:a@example.com", b"new", Some(60_000))
            .unwrap();
        assert_eq!(store.remove_if_expired(ns, expired, 1_000).unwrap(), 0);
        assert_eq!(
            store
                .get(ns, "magic:a@example.com", 1_000)
                .unwrap()
                .as_deref(),
            Some(&b"new"[..])
        );
    }

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
    fn rate_limit_counters_are_written_behind_and_outlive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let now = crate::kv::now_ms();
        let window_end = now + 60_000;
        {
            let store = FjallStore::open(dir.path()).unwrap();
            for _ in 0..3 {
                store
                    .increment(Namespace::RateLimits, "api-key:t", now, window_end)
                    .unwrap();
            }
            assert_eq!(
                store
                    .keyspace(Namespace::RateLimits)
                    .get("api-key:t")
                    .unwrap(),
                None,
                "a hit is counted in memory, not written through"
            );
            assert_eq!(
                store
                    .counter(Namespace::RateLimits, "api-key:t", now)
                    .unwrap(),
                Some((3, window_end))
            );
            store.flush().unwrap();
            assert!(
                store
                    .keyspace(Namespace::RateLimits)
                    .get("api-key:t")
                    .unwrap()
                    .is_some()
            );
            store
                .increment(Namespace::RateLimits, "api-key:t", now, window_end)
                .unwrap();
        }
        // Dropping the store wrote the fourth hit; a new process continues the window.
        let store = FjallStore::open(dir.path()).unwrap();
        assert_eq!(
            store
                .increment(Namespace::RateLimits, "api-key:t", now + 1, window_end + 1)
                .unwrap(),
            (5, window_end)
        );
    }

    #[test]
    fn a_removed_counter_is_not_written_back() {
        let dir = tempfile::tempdir().unwrap();
        let now = crate::kv::now_ms();
        let store = FjallStore::open(dir.path()).unwrap();
        let hit = || {
            store
                .increment(
                    Namespace::RateLimits,
                    "signin-failures:a",
                    now,
                    now + 60_000,
                )
                .unwrap()
        };
        hit();
        store.flush().unwrap();
        hit();
        assert!(
            store
                .remove(Namespace::RateLimits, "signin-failures:a")
                .unwrap()
        );
        store.flush().unwrap();
        assert_eq!(
            store
                .counter(Namespace::RateLimits, "signin-failures:a", now)
                .unwrap(),
            None
        );
        drop(store);
        let store = FjallStore::open(dir.path()).unwrap();
        assert_eq!(
            store
                .counter(Namespace::RateLimits, "signin-failures:a", now)
                .unwrap(),
            None
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
