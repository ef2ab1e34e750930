//! `dispatch_outbox`: queues the jobs left in the job outbox by a process killed between its
//! commit and its queueing, or by a queue that refused them then (`jobs::outbox`).

use crate::{app::AppState, jobs::outbox};

pub async fn run(state: AppState) -> anyhow::Result<String> {
    let swept = outbox::sweep(state.db(), state.queue(), chrono::Utc::now()).await?;
    Ok(format!(
        "queued {} jobs left in the outbox, left {} this version cannot read",
        swept.queued, swept.unreadable
    ))
}

/// Whether an entry waits long enough to be swept.
pub async fn due(state: AppState) -> anyhow::Result<bool> {
    outbox::has_sweepable(state.db(), chrono::Utc::now()).await
}
