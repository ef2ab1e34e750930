//! The job outbox: a job asked for by a change to the app database (an invitation's mail) is
//! written in that change's transaction, into `job_outbox`, and then moved into the queue. The
//! queue is not part of the app database's transactions (its own SQLite file; apalis' own
//! connections on Postgres), so writing the job straight to the queue after the commit would
//! lose it to a process killed between the two.
//!
//! The writer moves its entry itself right after its commit ([`forward`]); the `dispatch_outbox`
//! cron job moves whatever a killed process or an unreachable queue left behind ([`sweep`]).
//! Moving is "queue, then remove", and the job is queued under the entry's id as its
//! idempotency key: an entry queued by both (a writer slower than `SWEEP_AFTER`, nodes whose
//! clocks differ), or again after a crash between the two steps, is one job in the queue.

use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Job, JobQueue};
use crate::db::{self, Db, job_outbox::OutboxEntry};

/// How old an entry is before the sweep moves it: younger ones are most likely being moved by
/// their writer at this moment (moving them too would be wasted work, not a second job).
pub const SWEEP_AFTER: Duration = Duration::from_secs(10);

/// Entries a sweep reads at a time.
pub const SWEEP_BATCH: u64 = 500;

/// The outbox entry for `job`.
pub fn entry(job: &Job) -> anyhow::Result<OutboxEntry> {
    Ok(OutboxEntry {
        id: Uuid::now_v7(),
        job: serde_json::to_string(job)?,
    })
}

/// Queues the entry's job, then removes the entry.
pub async fn forward(db: &Db, queue: &JobQueue, entry: &OutboxEntry) -> anyhow::Result<()> {
    let job: Job = serde_json::from_str(&entry.job)?;
    queue.enqueue_once(job, entry.id).await?;
    db::job_outbox::remove(db, entry.id).await?;
    Ok(())
}

/// What a sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub queued: u64,
    /// Entries this version cannot read (written by a newer one, in a cluster being upgraded):
    /// left for a node that can.
    pub unreadable: u64,
}

/// Whether an entry written before `now - SWEEP_AFTER` waits.
pub async fn has_sweepable(db: &Db, now: DateTime<Utc>) -> anyhow::Result<bool> {
    let waiting = db::job_outbox::written_before(db, sweep_cutoff(now)?, None, 1).await?;
    Ok(!waiting.is_empty())
}

/// Entries written before this are swept.
fn sweep_cutoff(now: DateTime<Utc>) -> anyhow::Result<DateTime<Utc>> {
    Ok(now - chrono::Duration::from_std(SWEEP_AFTER)?)
}

/// Moves the entries written before `now - SWEEP_AFTER` into the queue, oldest first, a page
/// of `SWEEP_BATCH` at a time; the entries it cannot read stay behind it, never in its way.
/// Stops at the first one the queue refuses (it would refuse the rest as well).
pub async fn sweep(db: &Db, queue: &JobQueue, now: DateTime<Utc>) -> anyhow::Result<Swept> {
    let cutoff = sweep_cutoff(now)?;
    let mut swept = Swept::default();
    let mut last = None;
    loop {
        let page = db::job_outbox::written_before(db, cutoff, last.as_ref(), SWEEP_BATCH).await?;
        let full = page.len() as u64 == SWEEP_BATCH;
        for row in &page {
            let Ok(job) = serde_json::from_str::<Job>(&row.job) else {
                tracing::warn!(entry = %row.id, "outbox entry this version cannot read: left for another node");
                swept.unreadable += 1;
                continue;
            };
            let kind = job.name();
            queue.enqueue_once(job, row.id).await?;
            db::job_outbox::remove(db, row.id).await?;
            tracing::info!(entry = %row.id, job = kind, "job left in the outbox queued");
            swept.queued += 1;
        }
        last = page.into_iter().last();
        if !full {
            return Ok(swept);
        }
    }
}
