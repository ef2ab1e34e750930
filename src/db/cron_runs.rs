//! Queries on `cron_runs`: claiming a tick (the cross-node lease), recording the outcome, and
//! trimming old history.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TryInsertResult,
};
use uuid::Uuid;

use super::{Db, entities::cron_run as run};

pub use run::Model as CronRun;

/// Tries to take `tick_at` of `job` for `node`. Returns the run id when this node won the tick,
/// `None` when another node (or an earlier run on this one) already has it.
pub async fn claim(
    db: &Db,
    job: &str,
    tick_at: DateTime<Utc>,
    node: &str,
) -> Result<Option<Uuid>, sea_orm::DbErr> {
    let id = Uuid::now_v7();
    let inserted = run::Entity::insert(run::ActiveModel {
        id: Set(id),
        job: Set(job.to_string()),
        tick_at: Set(tick_at),
        node: Set(node.to_string()),
        started_at: Set(Utc::now()),
        finished_at: Set(None),
        duration_ms: Set(None),
        outcome: Set(None),
        error: Set(None),
    })
    .on_conflict_do_nothing_on([run::Column::Job, run::Column::TickAt])
    .exec_without_returning(&db.conn)
    .await?;
    Ok(matches!(inserted, TryInsertResult::Inserted(1)).then_some(id))
}

pub async fn finish(
    db: &Db,
    id: Uuid,
    duration_ms: i64,
    error: Option<String>,
) -> Result<(), sea_orm::DbErr> {
    run::Entity::update_many()
        .filter(run::Column::Id.eq(id))
        .col_expr(run::Column::FinishedAt, Utc::now().into())
        .col_expr(run::Column::DurationMs, duration_ms.into())
        .col_expr(
            run::Column::Outcome,
            if error.is_some() { "error" } else { "ok" }.into(),
        )
        .col_expr(run::Column::Error, error.into())
        .exec(&db.conn)
        .await
        .map(|_| ())
}

/// Most recent runs of a job, newest first.
pub async fn recent(db: &Db, job: &str, limit: u64) -> Result<Vec<CronRun>, sea_orm::DbErr> {
    run::Entity::find()
        .filter(run::Column::Job.eq(job))
        .order_by_desc(run::Column::TickAt)
        .limit(limit)
        .all(&db.conn)
        .await
}

/// Deletes run history older than `before`; returns how many rows went.
pub async fn delete_older_than(db: &Db, before: DateTime<Utc>) -> Result<u64, sea_orm::DbErr> {
    run::Entity::delete_many()
        .filter(run::Column::StartedAt.lt(before))
        .exec(&db.conn)
        .await
        .map(|r| r.rows_affected)
}
