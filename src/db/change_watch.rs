//! Whether anything was committed since a [`super::memo::Memo`] last looked, on both engines.
//!
//! * SQLite: `PRAGMA data_version` on a connection of its own changes whenever any *other*
//!   connection commits (this process's pool or the admin CLI alike); reading it costs a
//!   microsecond.
//! * Postgres: the sum of the `change_counters` rows, which every committed write to a watched
//!   table moves (see the change-counter migration), on whichever node or CLI made it. Reading it
//!   is a round trip, so concurrent requests share one: a request may use a reading whose query
//!   *started after the request did* — any write committed before the request arrived is then
//!   counted in it — and otherwise waits for the next reading. Under load one query serves every
//!   request that arrived while the previous one was under way. The rate-limit counters' write,
//!   which every API-key request waits for anyway, reads the sum in the same statement and
//!   offers it here ([`ChangeWatch::offer`]), so such a request usually needs no reading of
//!   its own.
//!
//! On SQLite a request reads `data_version` once and reuses the reading for its other memo
//! lookups, until a commit of this process ([`LOCAL_COMMITS`], moved by every pool connection's
//! commit hook) — its own write included — makes it read again: the PRAGMA takes a shared lock
//! on the file, and a request asks four or five times.
//!
//! A request's start is set by the HTTP pipeline ([`since_request_start`]); work outside a
//! request (jobs, CLI) always reads afresh.

use std::{
    cell::Cell,
    path::Path,
    sync::{
        Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::Instant,
};

use sea_orm::sqlx::{self, PgPool};
use tokio::sync::watch;

/// Commits made by this process's SQLite connections (their commit hook counts them, just
/// before each commit completes).
pub static LOCAL_COMMITS: AtomicU64 = AtomicU64::new(0);

/// The commit hook of every SQLite pool connection.
pub fn count_local_commit() -> bool {
    LOCAL_COMMITS.fetch_add(1, Ordering::AcqRel);
    true
}

/// The request being served: when it arrived, and its SQLite change-version reading.
struct RequestClock {
    started: Instant,
    /// (which watch, `LOCAL_COMMITS` before the reading, the version read).
    sqlite_reading: Cell<Option<(usize, u64, i64)>>,
}

tokio::task_local! {
    static REQUEST: RequestClock;
}

/// Runs `work` (one request) with its start time recorded for change-version readings.
pub async fn since_request_start<F: Future>(started: Instant, work: F) -> F::Output {
    let clock = RequestClock {
        started,
        sqlite_reading: Cell::new(None),
    };
    REQUEST.scope(clock, work).await
}

/// Readings must have started no earlier than this.
fn fresh_since() -> Instant {
    REQUEST
        .try_with(|request| request.started)
        .unwrap_or_else(|_| Instant::now())
}

pub enum ChangeWatch {
    Sqlite(Mutex<rusqlite::Connection>),
    Postgres(PgChangeWatch),
}

impl std::fmt::Debug for ChangeWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChangeWatch::Sqlite(_) => f.write_str("ChangeWatch::Sqlite"),
            ChangeWatch::Postgres(_) => f.write_str("ChangeWatch::Postgres"),
        }
    }
}

impl ChangeWatch {
    /// A SQLite connection that only ever reads `data_version` (it never writes or holds a lock).
    pub fn sqlite(path: &Path) -> Result<ChangeWatch, rusqlite::Error> {
        let conn = rusqlite::Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        Ok(ChangeWatch::Sqlite(Mutex::new(conn)))
    }

    pub fn postgres(pool: PgPool) -> ChangeWatch {
        ChangeWatch::Postgres(PgChangeWatch {
            pool,
            readings: Mutex::new(Readings::default()),
        })
    }

    /// The current version; None when it cannot be read (then nothing is cached).
    pub async fn version(&self) -> Option<i64> {
        match self {
            ChangeWatch::Sqlite(conn) => {
                let watch = self as *const ChangeWatch as usize;
                // Read before the version: a commit after this makes the reading stale.
                let commits = LOCAL_COMMITS.load(Ordering::Acquire);
                let reused = REQUEST
                    .try_with(|request| request.sqlite_reading.get())
                    .ok()
                    .flatten()
                    .filter(|&(of, at, _)| of == watch && at == commits);
                if let Some((_, _, version)) = reused {
                    return Some(version);
                }
                let version: i64 = {
                    let conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
                    let mut statement = conn.prepare_cached("PRAGMA data_version").ok()?;
                    statement.query_row([], |row| row.get(0)).ok()?
                };
                let _ = REQUEST.try_with(|request| {
                    request.sqlite_reading.set(Some((watch, commits, version)));
                });
                Some(version)
            }
            ChangeWatch::Postgres(watch) => watch.version(fresh_since()).await,
        }
    }
}

impl ChangeWatch {
    /// A change-counter reading another statement made, one that started at `started`
    /// (Postgres: the rate-limit counters' write reads it in passing). Requests that arrived
    /// before `started` may use it as if they had read it themselves.
    pub fn offer(&self, started: Instant, version: i64) {
        if let ChangeWatch::Postgres(watch) = self {
            let mut readings = watch
                .readings
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if readings.last.is_none_or(|(at, _)| at < started) {
                readings.last = Some((started, version));
            }
        }
    }
}

pub struct PgChangeWatch {
    pool: PgPool,
    readings: Mutex<Readings>,
}

/// What one reading saw: Some(version), or None when the query failed.
type Outcome = Option<i64>;

#[derive(Default)]
struct Readings {
    /// The newest finished reading: when its query started, and the version it saw.
    last: Option<(Instant, i64)>,
    /// The reading under way: when it started, and where its outcome will appear.
    running: Option<(Instant, watch::Receiver<Option<Outcome>>)>,
}

enum Step {
    Read(watch::Sender<Option<Outcome>>, Instant),
    Await(watch::Receiver<Option<Outcome>>, bool),
}

/// Forgets the running reading if its reader is dropped midway (a cancelled request), so the
/// ones waiting for it start another instead of waiting forever.
struct RunningGuard<'a>(&'a Mutex<Readings>);

impl Drop for RunningGuard<'_> {
    fn drop(&mut self) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .running = None;
    }
}

impl PgChangeWatch {
    async fn version(&self, since: Instant) -> Option<i64> {
        loop {
            let step = {
                let mut readings = self.readings.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some((started, version)) = readings.last
                    && started >= since
                {
                    return Some(version);
                }
                match &readings.running {
                    Some((started, outcome)) => Step::Await(outcome.clone(), *started >= since),
                    None => {
                        let (sender, receiver) = watch::channel(None);
                        let started = Instant::now();
                        readings.running = Some((started, receiver));
                        Step::Read(sender, started)
                    }
                }
            };
            match step {
                Step::Read(sender, started) => {
                    let guard = RunningGuard(&self.readings);
                    let outcome = self.read().await;
                    if let Some(version) = outcome {
                        let mut readings =
                            self.readings.lock().unwrap_or_else(PoisonError::into_inner);
                        if readings.last.is_none_or(|(at, _)| at < started) {
                            readings.last = Some((started, version));
                        }
                    }
                    drop(guard);
                    sender.send_replace(Some(outcome));
                    return outcome;
                }
                Step::Await(mut receiver, usable) => {
                    let outcome = receiver.wait_for(Option::is_some).await.ok().map(|o| *o);
                    match outcome {
                        // Started after this request arrived: it counts every earlier commit.
                        Some(Some(outcome)) if usable => return outcome,
                        // Too early, or its reader went away: take part in the next one.
                        _ => continue,
                    }
                }
            }
        }
    }

    async fn read(&self) -> Option<i64> {
        let read = sqlx::query_scalar::<_, i64>(
            "SELECT coalesce(sum(version), 0)::bigint FROM change_counters",
        )
        .fetch_one(&self.pool)
        .await;
        match read {
            Ok(version) => Some(version),
            Err(error) => {
                tracing::warn!(%error, "cannot read the change counter; answering uncached");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// A watch whose database cannot be reached: any reading it makes itself fails (None).
    fn unreachable_watch() -> ChangeWatch {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .acquire_timeout(Duration::from_millis(200))
            .connect_lazy("postgres://nobody@127.0.0.1:1/none")
            .unwrap();
        ChangeWatch::postgres(pool)
    }

    #[tokio::test]
    async fn a_reading_offered_after_the_request_arrived_is_used_without_a_query() {
        let watch = unreachable_watch();
        let arrived = Instant::now();
        let version = since_request_start(arrived, async {
            watch.offer(Instant::now(), 42);
            watch.version().await
        })
        .await;
        assert_eq!(version, Some(42));
    }

    #[tokio::test]
    async fn a_reading_offered_before_the_request_arrived_is_not_fresh_enough() {
        let watch = unreachable_watch();
        watch.offer(Instant::now(), 42);
        tokio::time::sleep(Duration::from_millis(5)).await;
        let version = since_request_start(Instant::now(), watch.version()).await;
        // It read for itself (and could not): a commit since the offer might be missing.
        assert_eq!(version, None);
        // An older offer never replaces a newer reading.
        let newer = Instant::now();
        watch.offer(newer, 7);
        watch.offer(newer - Duration::from_millis(1), 3);
        let version = since_request_start(newer, watch.version()).await;
        assert_eq!(version, Some(7));
    }
}
