//! Rate-limit counters of the fjall store, counted in memory and written behind.
//!
//! Every API request counts a hit on its caller's counter. Written through, each hit would be a
//! fjall write, which hands a journal record to the operating system before returning: a system
//! call and a new memtable version per request, the largest single cost of a cached read. Instead
//! the counts live in a map, and a background thread writes every changed counter to fjall once a
//! second and on shutdown ([`super::FjallStore::flush`]), so counters still outlive a restart, to
//! within their last second. (Magic-code attempts, in `AuthCodes`, bound guesses at a secret:
//! they stay written through.)
//!
//! One lock orders every change of a counter and every write of it, so a removal (a cleared
//! lock-out) is never undone by a late write of an older count.

use std::collections::HashMap;

use fjall::Keyspace;

use super::fjall_store::{encode, is_live, live_counter, one_more};

/// How often changed counters are written to fjall.
pub(super) const WRITE_BEHIND: std::time::Duration = std::time::Duration::from_secs(1);

#[derive(Default)]
pub(super) struct RateCounters {
    tallies: HashMap<String, Tally>,
}

struct Tally {
    count: i64,
    /// Unix milliseconds at which the window ends.
    expiry: i64,
    /// Changed since it was last written to fjall.
    dirty: bool,
}

impl RateCounters {
    /// Counts one hit: the count and expiry after it. A counter not yet in memory continues from
    /// what fjall holds (a count from before a restart).
    pub fn increment(
        &mut self,
        keyspace: &Keyspace,
        key: &str,
        now_ms: i64,
        window_end_ms: i64,
    ) -> Result<(i64, i64), fjall::Error> {
        let (count, expiry) = one_more(self.get(keyspace, key, now_ms)?, window_end_ms);
        let tally = Tally {
            count,
            expiry,
            dirty: true,
        };
        match self.tallies.get_mut(key) {
            Some(kept) => *kept = tally,
            None => {
                self.tallies.insert(key.to_string(), tally);
            }
        }
        Ok((count, expiry))
    }

    /// A live counter's count and expiry, or None.
    pub fn get(
        &self,
        keyspace: &Keyspace,
        key: &str,
        now_ms: i64,
    ) -> Result<Option<(i64, i64)>, fjall::Error> {
        match self.tallies.get(key) {
            // What memory holds is newer than anything written.
            Some(tally) => Ok(is_live(tally.expiry, now_ms).then_some((tally.count, tally.expiry))),
            None => live_counter(keyspace, key, now_ms),
        }
    }

    /// Forgets a counter in memory (the caller removes or replaces it in fjall); true when it
    /// was here.
    pub fn forget(&mut self, key: &str) -> bool {
        self.tallies.remove(key).is_some()
    }

    /// Whether memory holds this counter (a key as fjall stores it).
    pub fn holds(&self, key: &[u8]) -> bool {
        std::str::from_utf8(key).is_ok_and(|key| self.tallies.contains_key(key))
    }

    pub fn forget_prefix(&mut self, prefix: &str) {
        self.tallies.retain(|key, _| !key.starts_with(prefix));
    }

    /// Writes every changed counter to fjall, then lets go of the expired ones (fjall's copy
    /// expires with them and is purged by the cron job).
    pub fn write_changed(&mut self, keyspace: &Keyspace, now_ms: i64) -> Result<(), fjall::Error> {
        for (key, tally) in self.tallies.iter_mut().filter(|(_, t)| t.dirty) {
            keyspace.insert(key, encode(Some(tally.expiry), &tally.count.to_be_bytes()))?;
            tally.dirty = false;
        }
        self.tallies
            .retain(|_, tally| tally.dirty || is_live(tally.expiry, now_ms));
        Ok(())
    }
}
