//! `purge_expired`: deletes expired sessions and key-value entries (fjall has no TTL; the
//! shared table neither), and trims cron run history older than 30 days.

use chrono::{Duration, Utc};

use crate::{app::AppState, db};

/// How long cron run records are kept.
const RUN_HISTORY_DAYS: i64 = 30;

pub async fn run(state: AppState) -> anyhow::Result<String> {
    let entries = state.kv().purge_expired().await?;
    let runs =
        db::cron_runs::delete_older_than(state.db(), Utc::now() - Duration::days(RUN_HISTORY_DAYS))
            .await?;
    Ok(format!(
        "removed {entries} expired key-value entries and {runs} old cron run records"
    ))
}
