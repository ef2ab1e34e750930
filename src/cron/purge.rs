//! `purge_expired`: deletes expired sessions and key-value entries (fjall has no TTL; the
//! shared table neither), trims cron run history older than 30 days, and removes finished jobs
//! from the queue: done ones after 7 days, dead ones after 30 (time to look into them). Sign-in
//! mail jobs name addresses that may have no account, so they are not kept for ever.

use chrono::{Duration, Utc};

use crate::{app::AppState, db};

/// How long cron run records are kept.
const RUN_HISTORY_DAYS: i64 = 30;
/// How long done jobs stay in the queue.
const DONE_JOB_DAYS: i64 = 7;
/// How long dead jobs stay in the queue (listed by `jobs list --status dead`).
const DEAD_JOB_DAYS: i64 = 30;

pub async fn run(state: AppState) -> anyhow::Result<String> {
    let entries = state.kv().purge_expired().await?;
    let runs =
        db::cron_runs::delete_older_than(state.db(), Utc::now() - Duration::days(RUN_HISTORY_DAYS))
            .await?;
    let now = Utc::now();
    let jobs = state
        .queue()
        .purge_finished(
            now - Duration::days(DONE_JOB_DAYS),
            now - Duration::days(DEAD_JOB_DAYS),
        )
        .await?;
    Ok(format!(
        "removed {entries} expired key-value entries, {runs} old cron run records and {jobs} finished jobs"
    ))
}
