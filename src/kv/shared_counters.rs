//! Counter hits on the shared (Postgres) store, written many to a statement.
//!
//! Every API request counts a hit on its caller's rate-limit counter. One upsert per hit would
//! make each request wait for its own commit, queued behind every other request of the same
//! caller on that counter's row lock. Instead hits wait in a queue, and one task at a time
//! writes everything queued in one statement (a group commit): under load a round trip carries
//! dozens of hits, and a lone hit still goes out at once. Each hit keeps its own place in the
//! count — `n` hits that bring a counter to `C` get `C-n+1 ..= C`, in arrival order — so limits are
//! enforced exactly as with one statement per hit.

use std::{
    collections::BTreeMap,
    mem,
    sync::{Arc, Mutex, PoisonError},
};

use sea_orm::DbErr;
use tokio::sync::oneshot;

use crate::db::{
    self, Db,
    kv_entries::{self, CountedHits, CounterHits},
};

/// Counters written per statement at most (four parameters each, far below Postgres's limit).
const MAX_COUNTERS_PER_STATEMENT: usize = 1000;
/// How often a statement is retried when Postgres aborts it for a deadlock (another node's
/// statement locking the same counters; both lock in key order, so this is rare).
const DEADLOCK_RETRIES: usize = 3;

type Reply = oneshot::Sender<Result<(i64, i64), DbErr>>;

struct Hit {
    namespace: &'static str,
    key: String,
    window_end_ms: i64,
    reply: Reply,
}

#[derive(Default)]
struct Queue {
    hits: Vec<Hit>,
    writing: bool,
}

/// The queue of hits waiting to be written, shared by every clone of the store.
#[derive(Clone, Default)]
pub struct SharedCounters {
    queue: Arc<Mutex<Queue>>,
}

impl SharedCounters {
    /// Counts one hit; answers the counter's count (this hit's place) and expiry.
    pub async fn hit(
        &self,
        db: &Db,
        namespace: &'static str,
        key: &str,
        window_end_ms: i64,
    ) -> Result<(i64, i64), DbErr> {
        let (reply, answer) = oneshot::channel();
        let start_writer = {
            let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            queue.hits.push(Hit {
                namespace,
                key: key.to_string(),
                window_end_ms,
                reply,
            });
            !mem::replace(&mut queue.writing, true)
        };
        if start_writer {
            // A task of its own, so a request that goes away cannot strand the others' hits.
            tokio::spawn(write_queued(self.queue.clone(), db.clone()));
        }
        answer
            .await
            .map_err(|_| DbErr::Custom("the counter writer stopped".into()))?
    }
}

/// Writes queued hits until the queue is empty.
async fn write_queued(queue: Arc<Mutex<Queue>>, db: Db) {
    loop {
        let hits = {
            let mut queue = queue.lock().unwrap_or_else(PoisonError::into_inner);
            if queue.hits.is_empty() {
                queue.writing = false;
                return;
            }
            mem::take(&mut queue.hits)
        };
        // Per counter, in key order (the order rows are locked in), hits in arrival order.
        let mut by_counter: BTreeMap<(&'static str, String), Vec<Hit>> = BTreeMap::new();
        for hit in hits {
            by_counter
                .entry((hit.namespace, hit.key.clone()))
                .or_default()
                .push(hit);
        }
        let mut groups: Vec<Vec<Hit>> = by_counter.into_values().collect();
        while !groups.is_empty() {
            let chunk: Vec<Vec<Hit>> = groups
                .drain(..groups.len().min(MAX_COUNTERS_PER_STATEMENT))
                .collect();
            let entries: Vec<CounterHits> = chunk
                .iter()
                .map(|hits| CounterHits {
                    namespace: hits[0].namespace,
                    key: hits[0].key.clone(),
                    hits: hits.len() as i64,
                    window_end_ms: hits[0].window_end_ms,
                })
                .collect();
            // Every hit of the chunk was queued before this instant, so the change counter the
            // statement reads is fresh for each of their requests (see `ChangeWatch::offer`).
            let started = std::time::Instant::now();
            let written = write(&db, &entries).await.map(|counted| {
                if let Some(version) = counted.change_version {
                    db.watch.offer(started, version);
                }
                counted.counts
            });
            answer(chunk, written);
        }
    }
}

async fn write(db: &Db, entries: &[CounterHits]) -> Result<CountedHits, DbErr> {
    let mut attempt = 0;
    loop {
        let result = kv_entries::increment_many(db, entries, super::now_ms()).await;
        match result {
            Err(error) if attempt < DEADLOCK_RETRIES && db::is_deadlock(&error) => attempt += 1,
            other => return other,
        }
    }
}

/// Gives each hit its place: a counter's `n` hits that brought it to `count` get
/// `count-n+1 ..= count`, in arrival order.
fn answer(chunk: Vec<Vec<Hit>>, written: Result<Vec<(i64, i64)>, DbErr>) {
    match written {
        Ok(counts) => {
            for (hits, (count, expires)) in chunk.into_iter().zip(counts) {
                let first = count - hits.len() as i64 + 1;
                for (place, hit) in (first..).zip(hits) {
                    // The request may have gone away; its hit counted all the same.
                    let _ = hit.reply.send(Ok((place, expires)));
                }
            }
        }
        Err(error) => {
            for hit in chunk.into_iter().flatten() {
                let _ = hit.reply.send(Err(error.clone()));
            }
        }
    }
}
