//! The queue probe job behind `plane-aio doctor queue`.

use std::time::Duration;

use uuid::Uuid;

use crate::{app::AppState, db};

pub async fn run(
    state: &AppState,
    probe_id: Uuid,
    fail_first: u32,
    hold: Duration,
    attempt: usize,
) -> Result<(), apalis::prelude::BoxDynError> {
    tokio::time::sleep(hold).await;
    let fail = attempt <= fail_first as usize;
    db::probes::record(
        state.db(),
        probe_id,
        attempt as i32,
        state.node_name(),
        !fail,
    )
    .await?;
    if fail {
        return Err(format!(
            "probe {probe_id} fails on purpose (attempt {attempt} of the first {fail_first})"
        )
        .into());
    }
    Ok(())
}
