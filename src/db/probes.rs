//! Queries on `job_probe_runs`.

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::{Db, entities::job_probe_run as probe};

pub use probe::Model as ProbeRun;

pub async fn record(
    db: &Db,
    probe_id: Uuid,
    attempt: i32,
    node: &str,
    succeeded: bool,
) -> Result<(), sea_orm::DbErr> {
    probe::Entity::insert(probe::ActiveModel {
        id: Set(Uuid::now_v7()),
        probe_id: Set(probe_id),
        attempt: Set(attempt),
        node: Set(node.to_string()),
        succeeded: Set(succeeded),
        ran_at: Set(Utc::now()),
    })
    .exec_without_returning(&db.conn)
    .await
    .map(|_| ())
}

pub async fn runs(db: &Db, probe_id: Uuid) -> Result<Vec<ProbeRun>, sea_orm::DbErr> {
    probe::Entity::find()
        .filter(probe::Column::ProbeId.eq(probe_id))
        .order_by_asc(probe::Column::RanAt)
        .all(&db.conn)
        .await
}
