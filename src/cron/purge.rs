//! `purge_expired`: deletes expired sessions and key-value entries (fjall has no TTL; the
//! shared table neither), trims cron run history older than 30 days, and removes finished jobs
//! from the queue: done ones after 7 days, dead ones after 30 (time to look into them). Sign-in
//! mail jobs name addresses that may have no account, so they are not kept for ever. Workers
//! unseen for a day (or `job_orphan_timeout`, when longer: a live worker may be that quiet) and
//! named by no job are forgotten: each start of a node registers a new one. Temporary files of
//! fs-mode uploads an hour old (left by a crash mid-write) are removed, and so are avatar uploads
//! a day old that no profile uses: an upload link cannot bound what is sent to S3, so what was
//! uploaded and never set (or refused as too large) must not stay for ever.

use chrono::{DateTime, Duration, Utc};

use crate::{app::AppState, db};

/// How long cron run records are kept.
const RUN_HISTORY_DAYS: i64 = 30;
/// How long done jobs stay in the queue.
const DONE_JOB_DAYS: i64 = 7;
/// How long dead jobs stay in the queue (listed by `jobs list --status dead`).
const DEAD_JOB_DAYS: i64 = 30;
/// How long a worker may go unseen before it is forgotten, at least.
const GONE_WORKER_DAYS: i64 = 1;
/// Age after which a temporary upload file is taken for abandoned (a write of the largest body
/// allowed takes seconds).
const ABANDONED_UPLOAD: std::time::Duration = std::time::Duration::from_secs(3600);
/// How long after its upload an object may still be set as an avatar (upload links live ten
/// minutes, and the web UI sets the avatar right after its upload).
pub const AVATAR_SETTABLE_FOR: std::time::Duration = std::time::Duration::from_secs(3600);
/// Age after which an avatar upload no profile uses is taken for abandoned: well past
/// [`AVATAR_SETTABLE_FOR`], so none is being set while this sweep looks.
const UNUSED_AVATAR: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

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
    let quiet_for = Duration::from_std(state.settings().jobs.orphan_timeout)
        .unwrap_or(Duration::MAX)
        .max(Duration::days(GONE_WORKER_DAYS));
    let workers = state
        .queue()
        .purge_gone_workers(
            now.checked_sub_signed(quiet_for)
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
        )
        .await?;
    let uploads = state.storage().sweep_partial(ABANDONED_UPLOAD).await?;
    let avatars = sweep_unused_avatars(&state).await?;
    Ok(format!(
        "removed {entries} expired key-value entries, {runs} old cron run records, {jobs} finished jobs, {workers} gone workers, {uploads} abandoned upload files and {avatars} unused avatar uploads"
    ))
}

/// Deletes avatar uploads [`UNUSED_AVATAR`] old that no user's profile points at. An object
/// that cannot be listed or deleted is logged and left for the next run; the rest go on.
async fn sweep_unused_avatars(state: &AppState) -> anyhow::Result<u64> {
    let old = match state
        .storage()
        .objects_older_than("avatars/", UNUSED_AVATAR)
        .await
    {
        Ok(old) => old,
        Err(e) => {
            tracing::warn!(error = %e, "cannot list avatar uploads");
            return Ok(0);
        }
    };
    if old.is_empty() {
        return Ok(0);
    }
    let in_use = db::users::avatars_in_use(state.db()).await?;
    let mut removed = 0;
    for key in old.iter().filter(|k| !in_use.contains(k.as_str())) {
        match state.storage().delete(key).await {
            Ok(()) => removed += 1,
            Err(e) => {
                tracing::warn!(key = %key, error = %e, "cannot remove an unused avatar upload")
            }
        }
    }
    Ok(removed)
}
