//! The queue probe job behind `plane-aio doctor queue`.

use uuid::Uuid;

use crate::{app::AppState, db};

pub async fn run(
    state: &AppState,
    probe_id: Uuid,
    fail_first: u32,
    attempt: usize,
) -> Result<(), apalis::prelude::BoxDynError> {
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
