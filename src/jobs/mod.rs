//! The persistent background job queue (RabbitMQ + Celery's job in a Plane install), on apalis.
//!
//! * SQLite mode: the queue has its own SQLite file, `<data_dir>/queue.db`, so its polling and
//!   heartbeats never compete with requests for the app database's single writer.
//! * Postgres mode: apalis-postgres in the app database (schema `apalis`); every node runs
//!   workers and a job runs on exactly one of them.
//!
//! A job is written to disk before `enqueue` returns, so it survives a killed process. A failing
//! job is retried with exponential backoff and jitter ([`retry::Backoff`]); after
//! `job_max_attempts` attempts it is *dead*: logged at error level, kept in the queue table, and
//! listed by `plane-aio jobs list --status dead` (and retried by `plane-aio jobs retry ID`).

pub mod outbox;
mod probe;
mod retry;
mod send_mail;
mod tick;

use std::{path::Path, time::Duration};

use apalis::prelude::*;
use apalis_postgres::PostgresStorage;
use apalis_sqlite::SqliteStorage;
use futures_util::FutureExt;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::{
    app::AppState,
    config::JobSettings,
    db::{self, Db, queue_records},
};

pub use queue_records::{JobRecord, StatusFilter};

/// Every kind of background job. Stored as JSON, so variants may gain optional fields but
/// existing ones must keep their names while old jobs can still be queued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// `plane-aio doctor queue`: records each run in `job_probe_runs`, and fails on purpose for
    /// its first `fail_first` attempts so retries and the dead state can be watched.
    /// With `hold_ms`, each attempt takes that long before it records itself: time to kill
    /// the node running it and watch another worker take the job over.
    Probe {
        probe_id: Uuid,
        fail_first: u32,
        #[serde(default, skip_serializing_if = "is_zero")]
        hold_ms: u64,
    },
    /// Delivers a rendered email with the SMTP settings current at send time. An invitation's
    /// mail names the invitation and is dropped unless it is still pending when the job runs.
    /// The mail is sealed with the instance secret ([`Job::send_mail`]): it carries sign-in
    /// codes and reset and invitation links, which the job table (finished jobs stay a week,
    /// and `plane-aio jobs list` prints them) must not show.
    SendMail {
        #[serde(default)]
        sealed: String,
        /// The mail in clear, as jobs queued before sealing carry it (read, never written).
        #[serde(default, skip_serializing)]
        mail: Option<crate::mail::OutgoingMail>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        invitation: Option<Uuid>,
    },
    /// A sign-in code or reset link asked for `email`: whether the address may have one is
    /// decided here, after the answer, so the answer is the same for every address.
    AuthMail {
        mail: crate::domain::accounts::AuthMail,
        email: String,
    },
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

impl Job {
    /// The job delivering `mail`, sealed with `secrets`.
    pub fn send_mail(
        secrets: &crate::domain::crypto::SecretBox,
        mail: &crate::mail::OutgoingMail,
        invitation: Option<Uuid>,
    ) -> anyhow::Result<Job> {
        let sealed = secrets.seal(&serde_json::to_string(mail)?)?;
        Ok(Job::SendMail {
            sealed,
            mail: None,
            invitation,
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Job::Probe { .. } => "probe",
            Job::SendMail { .. } => "send_mail",
            Job::AuthMail { .. } => "auth_mail",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("job queue: {0}")]
    Open(String),
    #[error("job queue: cannot store the job: {0}")]
    Push(String),
    #[error("job queue: {0}")]
    Query(#[from] sea_orm::sqlx::Error),
}

#[derive(Clone)]
enum Backend {
    Sqlite(SqliteStorage<Job>),
    Postgres(PostgresStorage<Job>),
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Sqlite(_) => "Sqlite",
            Backend::Postgres(_) => "Postgres",
        })
    }
}

/// Handle to the queue: enqueue, inspect, run workers. Cheap to clone.
#[derive(Clone, Debug)]
pub struct JobQueue {
    backend: Backend,
    max_attempts: u32,
}

/// The queue name all jobs share (apalis' `job_type` column).
const QUEUE: &str = "plane";

/// apalis' unique index on (queue, idempotency key), named by Postgres when a key repeats.
const IDEMPOTENCY_INDEX: &str = "idx_jobs_idempotency_key";

/// How often an idle worker looks for due jobs.
const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// Heartbeats a worker may miss before the jobs it holds are handed to another worker: three,
/// so one late beat on a busy machine never has a job run twice.
const MISSED_HEARTBEATS: usize = 3;

/// Each worker records a heartbeat this often. A worker that has not beaten for
/// `job_orphan_timeout` is taken for dead (killed, crashed, cut off from the database): on their
/// next heartbeat the live workers put the jobs it held back in the queue, with the interrupted
/// run counted as an attempt. Jobs are therefore run at least once; a job cut off mid-way runs
/// again from its start.
fn heartbeat(settings: &JobSettings) -> Duration {
    // apalis compares whole seconds.
    Duration::from_secs(settings.orphan_timeout.as_secs() / MISSED_HEARTBEATS as u64)
}

impl JobQueue {
    /// Opens the queue: `<data_dir>/queue.db` for SQLite, the app database for Postgres.
    /// Creates the queue's tables when missing.
    pub async fn open(
        db: &Db,
        data_dir: &Path,
        settings: &JobSettings,
    ) -> Result<JobQueue, QueueError> {
        let backend = match db.postgres_pool() {
            Some(pool) => {
                PostgresStorage::migrations()
                    .run(pool)
                    .await
                    .map_err(|e| QueueError::Open(e.to_string()))?;
                let config = apalis_postgres::Config::default()
                    .queue(QUEUE)
                    .heartbeat_interval(heartbeat(settings))
                    .missed_heartbeats(MISSED_HEARTBEATS);
                Backend::Postgres(PostgresStorage::new(pool).with_config(config))
            }
            None => {
                let pool = db::sqlite_pool(&data_dir.join("queue.db"), true)
                    .await
                    .map_err(|e| QueueError::Open(e.to_string()))?;
                SqliteStorage::migrations()
                    .run(&pool)
                    .await
                    .map_err(|e| QueueError::Open(e.to_string()))?;
                let config = apalis_sqlite::Config::default()
                    .queue(QUEUE)
                    .heartbeat_interval(heartbeat(settings))
                    .missed_heartbeats(MISSED_HEARTBEATS);
                Backend::Sqlite(SqliteStorage::new(&pool).with_config(config))
            }
        };
        Ok(JobQueue {
            backend,
            max_attempts: settings.max_attempts,
        })
    }

    /// Stores a job; it runs once `delay` has passed (at once for `None`). The job is on disk
    /// when this returns.
    pub async fn enqueue(&self, job: Job, delay: Option<Duration>) -> Result<(), QueueError> {
        let mut builder = TaskBuilder::new(job).max_attempts(self.max_attempts as usize);
        if let Some(delay) = delay {
            builder = builder.run_after(delay);
        }
        let task = builder.build();
        let pushed = match &self.backend {
            Backend::Sqlite(s) => s.clone().push_task(task).await.map_err(|e| e.to_string()),
            Backend::Postgres(s) => s.clone().push_task(task).await.map_err(|e| e.to_string()),
        };
        pushed.map_err(QueueError::Push)
    }

    /// Stores a job to run at once, unless a job with the same `key` was stored before (then
    /// nothing is stored, and this answers Ok): what lets the job outbox queue an entry from two
    /// places, or twice after a crash, and have it run once.
    pub async fn enqueue_once(&self, job: Job, key: Uuid) -> Result<(), QueueError> {
        let task = TaskBuilder::new(job)
            .max_attempts(self.max_attempts as usize)
            .idempotency_key(key.to_string())
            .build();
        let pushed = match &self.backend {
            // apalis' SQLite insert skips a known key itself.
            Backend::Sqlite(s) => s.clone().push_task(task).await.map_err(|e| e.to_string()),
            Backend::Postgres(s) => match s.clone().push_task(task).await {
                Err(e) if e.to_string().contains(IDEMPOTENCY_INDEX) => Ok(()),
                other => other.map_err(|e| e.to_string()),
            },
        };
        pushed.map_err(QueueError::Push)
    }

    pub async fn list(
        &self,
        filter: StatusFilter,
        limit: u32,
    ) -> Result<Vec<JobRecord>, QueueError> {
        Ok(match &self.backend {
            Backend::Sqlite(s) => {
                queue_records::list_sqlite(s.pool(), QUEUE, filter, limit).await?
            }
            Backend::Postgres(s) => {
                queue_records::list_postgres(s.pool(), QUEUE, filter, limit).await?
            }
        })
    }

    /// Puts a dead or failed job back in the queue with a fresh attempt budget.
    /// Returns false when no such job is in a retryable state.
    pub async fn retry(&self, id: &str) -> Result<bool, QueueError> {
        Ok(match &self.backend {
            Backend::Sqlite(s) => queue_records::retry_sqlite(s.pool(), QUEUE, id).await?,
            Backend::Postgres(s) => queue_records::retry_postgres(s.pool(), QUEUE, id).await?,
        })
    }

    /// Deletes done jobs finished before `done_before` and dead ones before `dead_before`
    /// (pending, running and retrying jobs stay); returns how many went.
    pub async fn purge_finished(
        &self,
        done_before: chrono::DateTime<chrono::Utc>,
        dead_before: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, QueueError> {
        Ok(match &self.backend {
            Backend::Sqlite(s) => {
                queue_records::purge_finished_sqlite(s.pool(), QUEUE, done_before, dead_before)
                    .await?
            }
            Backend::Postgres(s) => {
                queue_records::purge_finished_postgres(s.pool(), QUEUE, done_before, dead_before)
                    .await?
            }
        })
    }

    /// Forgets workers last seen before `seen_before` that no job names ([`queue_records`]);
    /// returns how many went.
    pub async fn purge_gone_workers(
        &self,
        seen_before: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, QueueError> {
        Ok(match &self.backend {
            Backend::Sqlite(s) => {
                queue_records::purge_gone_workers_sqlite(s.pool(), QUEUE, seen_before).await?
            }
            Backend::Postgres(s) => {
                queue_records::purge_gone_workers_postgres(s.pool(), QUEUE, seen_before).await?
            }
        })
    }

    /// A read of the queue table, for readiness.
    pub async fn ping(&self) -> Result<(), QueueError> {
        self.list(StatusFilter::Pending, 1).await.map(|_| ())
    }

    /// Starts this node's worker; it stops taking jobs when `shutdown` is cancelled and returns
    /// once the jobs in hand have finished. A worker that stops on its own (its backend gave up
    /// after a database error, say) is started again, so the node never silently stops working.
    pub fn spawn_worker(
        &self,
        state: AppState,
        settings: &JobSettings,
        shutdown: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let queue = self.clone();
        let settings = settings.clone();
        tokio::spawn(async move {
            loop {
                let outcome = queue
                    .run_worker(state.clone(), &settings, shutdown.clone())
                    .await;
                if shutdown.is_cancelled() {
                    break;
                }
                match outcome {
                    Ok(()) => tracing::error!("job worker stopped unexpectedly; starting it again"),
                    Err(e) => {
                        tracing::error!(error = %e, "job worker stopped with an error; starting it again")
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = shutdown.cancelled() => break,
                }
            }
        })
    }

    async fn run_worker(
        &self,
        state: AppState,
        settings: &JobSettings,
        shutdown: CancellationToken,
    ) -> Result<(), WorkerError> {
        // A fresh name per start: apalis refuses a name that is still registered.
        let name = format!(
            "{}-{}",
            state.node_name(),
            &Uuid::new_v4().simple().to_string()[..8]
        );
        let policy = retry::Backoff::new(settings.max_attempts, settings.retry_backoff);
        let concurrency = settings.workers as usize;
        let stop = async move {
            shutdown.cancelled().await;
            Ok::<(), std::io::Error>(())
        };
        match &self.backend {
            Backend::Sqlite(storage) => {
                // Other processes (the CLI) enqueue too, so the queue is polled, not only woken.
                let backend = storage
                    .clone()
                    .poll_with_strategy(tick::Tick::every(POLL_INTERVAL));
                WorkerBuilder::new(name.as_str())
                    .backend(backend)
                    .data(state)
                    .concurrency(concurrency)
                    .retry(policy)
                    .enable_tracing()
                    .build(run_job)
                    .run_until(stop)
                    .await
            }
            Backend::Postgres(storage) => {
                // LISTEN/NOTIFY wakes the worker at once for new jobs on any node; the interval
                // picks up delayed jobs and retries. The interval comes first: strategies are
                // polled in order until one is ready, and a listener whose connection dropped
                // stays "ready" forever, which would otherwise starve the interval's timer.
                let strategy = Strategy::new()
                    .apply(tick::Tick::every(POLL_INTERVAL))
                    .stream(apalis_postgres::Pubsub::new(
                        storage.pool().clone(),
                        QUEUE.to_string(),
                    ));
                let backend = storage.clone().poll_with_strategy(strategy);
                WorkerBuilder::new(name.as_str())
                    .backend(backend)
                    .data(state)
                    .concurrency(concurrency)
                    .retry(policy)
                    .enable_tracing()
                    .build(run_job)
                    .run_until(stop)
                    .await
            }
        }
    }
}

/// Runs one job; an `Err` is retried by the policy until the job is dead.
async fn run_job(job: Job, state: Data<AppState>, attempt: Attempt) -> Result<(), BoxDynError> {
    let started = std::time::Instant::now();
    let kind = job.name();
    let work = async {
        match job {
            Job::Probe {
                probe_id,
                fail_first,
                hold_ms,
            } => {
                let hold = Duration::from_millis(hold_ms);
                probe::run(&state, probe_id, fail_first, hold, attempt.current()).await
            }
            Job::SendMail {
                sealed,
                mail,
                invitation,
            } => send_mail::run(&state, &sealed, mail, invitation).await,
            Job::AuthMail { mail, email } => {
                crate::domain::accounts::send_auth_mail(&state, mail, &email)
                    .await
                    .map_err(Into::into)
            }
        }
    };
    // A panicking job is a failed attempt, not a dead worker.
    let result = match std::panic::AssertUnwindSafe(work).catch_unwind().await {
        Ok(result) => result,
        Err(_) => Err("the job panicked".into()),
    };
    let duration_ms = started.elapsed().as_millis() as u64;
    match &result {
        Ok(()) => tracing::info!(
            job = kind,
            attempt = attempt.current(),
            duration_ms,
            "job done"
        ),
        Err(e) => {
            tracing::warn!(job = kind, attempt = attempt.current(), duration_ms, error = %e, "job failed")
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mail_job_queued_before_sealing_still_reads() {
        let legacy = serde_json::json!({
            "kind": "send_mail",
            "mail": {"to": "a@example.com", "subject": "S", "text": "T", "html": "<p>T</p>"},
        });
        let job: Job = serde_json::from_value(legacy).unwrap();
        let Job::SendMail { sealed, mail, .. } = job else {
            panic!("a send_mail job");
        };
        assert!(sealed.is_empty());
        assert_eq!(mail.map(|m| m.to), Some("a@example.com".to_string()));

        // A new one carries the mail sealed only.
        let secrets = crate::domain::crypto::SecretBox::new("0123456789abcdef0123456789abcdef");
        let mail = crate::mail::OutgoingMail {
            to: "b@example.com".into(),
            subject: "Your code: ABC".into(),
            text: "ABC".into(),
            html: "ABC".into(),
        };
        let stored =
            serde_json::to_string(&Job::send_mail(&secrets, &mail, None).unwrap()).unwrap();
        assert!(
            !stored.contains("ABC") && !stored.contains("b@example.com"),
            "{stored}"
        );
    }
}
