//! Scheduled jobs (Celery beat's job in a Plane install), on tokio-cron-scheduler.
//!
//! Every scheduled job is one row of [`table`]: a name, a schedule from configuration (empty
//! disables it) and a function. Each node runs the scheduler; at each tick a node first claims
//! the tick in `cron_runs` (unique job + tick time), so with several nodes on one Postgres a tick
//! runs on exactly one of them. The tick time is the schedule's own occurrence (not the clock at
//! firing), so nodes agree on it despite small clock differences. Each run is logged and
//! recorded with its duration and outcome.

mod outbox;
mod purge;

pub use purge::AVATAR_SETTABLE_FOR;

use std::{
    future::Future,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Instant,
};

use chrono::{SubsecRound, Utc};
use tokio_cron_scheduler::{Job, JobScheduler, JobSchedulerError};

use crate::{app::AppState, config::CronSettings, db};

type RunFn = fn(AppState) -> Pin<Box<dyn Future<Output = anyhow::Result<String>> + Send>>;
type DueFn = fn(AppState) -> Pin<Box<dyn Future<Output = anyhow::Result<bool>> + Send>>;

/// One scheduled job.
#[derive(Clone)]
pub struct CronJob {
    pub name: &'static str,
    /// Six-field cron expression (seconds first, UTC); `None` when disabled.
    pub schedule: Option<String>,
    /// Does the work; the returned text summarises it for the log.
    pub run: RunFn,
    /// For a frequent job that usually finds nothing to do: a read-only look whether there is
    /// work. Without work the tick is neither claimed nor recorded: a commit each minute would
    /// grow `cron_runs` and, on SQLite, empty every node's remembered reads.
    pub due: Option<DueFn>,
}

/// The scheduled jobs, in one place.
pub fn table(settings: &CronSettings) -> Vec<CronJob> {
    vec![
        CronJob {
            name: "purge_expired",
            schedule: settings.purge_expired.clone(),
            run: |state| Box::pin(purge::run(state)),
            due: None,
        },
        CronJob {
            name: "dispatch_outbox",
            schedule: settings.dispatch_outbox.clone(),
            run: |state| Box::pin(outbox::run(state)),
            due: Some(|state| Box::pin(outbox::due(state))),
        },
    ]
}

/// The running scheduler; `shutdown` stops it (runs in progress finish on their own).
pub struct Scheduler {
    inner: Option<JobScheduler>,
}

impl Scheduler {
    pub async fn shutdown(mut self) {
        if let Some(mut scheduler) = self.inner.take()
            && let Err(e) = scheduler.shutdown().await
        {
            tracing::warn!(error = %e, "cron scheduler did not stop cleanly");
        }
    }
}

pub async fn start(state: AppState, jobs: Vec<CronJob>) -> Result<Scheduler, JobSchedulerError> {
    let enabled: Vec<CronJob> = jobs.into_iter().filter(|j| j.schedule.is_some()).collect();
    if enabled.is_empty() {
        return Ok(Scheduler { inner: None });
    }
    let scheduler = JobScheduler::new().await?;
    for job in enabled {
        let Some(schedule) = job.schedule.clone() else {
            continue;
        };
        let cron = croner::parser::CronParser::builder()
            .seconds(croner::parser::Seconds::Required)
            .build()
            .parse(&schedule)
            .map_err(|_| JobSchedulerError::ParseSchedule)?;
        let running = Arc::new(AtomicBool::new(false));
        let state = state.clone();
        tracing::info!(job = job.name, schedule = %schedule, "cron job scheduled");
        scheduler
            .add(Job::new_async(
                schedule.as_str(),
                move |_id, _scheduler| {
                    let (state, job, cron, running) =
                        (state.clone(), job.clone(), cron.clone(), running.clone());
                    Box::pin(async move { tick(state, job, cron, running).await })
                },
            )?)
            .await?;
    }
    scheduler.start().await?;
    Ok(Scheduler {
        inner: Some(scheduler),
    })
}

async fn tick(state: AppState, job: CronJob, cron: croner::Cron, running: Arc<AtomicBool>) {
    // The occurrence that fired: the latest one not after now. Schedules have whole seconds, so
    // the search starts from the current second (croner would return a matching instant as is,
    // sub-second part included, and nodes would never agree on it).
    let now = Utc::now().trunc_subsecs(0);
    let Ok(tick_at) = cron.find_previous_occurrence(&now, true) else {
        return;
    };
    if running.swap(true, Ordering::AcqRel) {
        tracing::warn!(job = job.name, %tick_at, "cron tick skipped: the previous run is still going");
        return;
    }
    // Cleared however this run ends, a panic in the job included: else no later tick would run.
    let _running = ClearOnDrop(running);
    if let Some(due) = job.due {
        match due(state.clone()).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                tracing::error!(job = job.name, %tick_at, error = %format!("{e:#}"), "cannot tell whether the cron job has work");
                return;
            }
        }
    }
    let node = state.node_name().to_string();
    match db::cron_runs::claim(state.db(), job.name, tick_at, &node).await {
        Ok(Some(run_id)) => {
            let started = Instant::now();
            let outcome = (job.run)(state.clone()).await;
            let duration_ms = started.elapsed().as_millis() as i64;
            let error = outcome.as_ref().err().map(|e| format!("{e:#}"));
            match &outcome {
                Ok(summary) => {
                    tracing::info!(job = job.name, %tick_at, node = %node, duration_ms, outcome = "ok", summary = %summary, "cron job ran")
                }
                Err(e) => {
                    tracing::error!(job = job.name, %tick_at, node = %node, duration_ms, outcome = "error", error = %format!("{e:#}"), "cron job ran")
                }
            }
            if let Err(e) = db::cron_runs::finish(state.db(), run_id, duration_ms, error).await {
                tracing::warn!(job = job.name, error = %e, "cannot record the cron run's outcome");
            }
        }
        Ok(None) => {
            tracing::info!(job = job.name, %tick_at, node = %node, "cron tick already taken by another node")
        }
        Err(e) => {
            tracing::error!(job = job.name, %tick_at, error = %e, "cannot claim the cron tick")
        }
    }
}

/// Clears the job's "running" flag when dropped.
struct ClearOnDrop(Arc<AtomicBool>);

impl Drop for ClearOnDrop {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}
