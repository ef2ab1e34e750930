//! Queries on `job_outbox`: a job is added in the transaction of the change asking for it, and
//! removed once the job queue holds it (`jobs::outbox`).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::{Db, entities::job_outbox as outbox};

pub use outbox::Model as OutboxRow;

/// A job on its way to the queue: its id is chosen by the writer, so the writer can move it
/// on after its transaction commits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub id: Uuid,
    /// The job as JSON.
    pub job: String,
}

/// Adds `entry` through `conn`: the caller's transaction.
pub async fn add<C: ConnectionTrait>(
    conn: &C,
    entry: OutboxEntry,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    outbox::Entity::insert(outbox::ActiveModel {
        id: Set(entry.id),
        job: Set(entry.job),
        created_at: Set(now),
    })
    .exec_without_returning(conn)
    .await
    .map(|_| ())
}

/// Up to `limit` entries written before `before`, oldest first (by time, then id), starting
/// after the entry `after` when given: a sweep pages on past entries it leaves in place.
pub async fn written_before(
    db: &Db,
    before: DateTime<Utc>,
    after: Option<&OutboxRow>,
    limit: u64,
) -> Result<Vec<OutboxRow>, DbErr> {
    let mut query = outbox::Entity::find().filter(outbox::Column::CreatedAt.lt(before));
    if let Some(last) = after {
        query = query.filter(
            Condition::any()
                .add(outbox::Column::CreatedAt.gt(last.created_at))
                .add(
                    Condition::all()
                        .add(outbox::Column::CreatedAt.eq(last.created_at))
                        .add(outbox::Column::Id.gt(last.id)),
                ),
        );
    }
    query
        .order_by_asc(outbox::Column::CreatedAt)
        .order_by_asc(outbox::Column::Id)
        .limit(limit)
        .all(&db.conn)
        .await
}

/// Removes the entry; false when it was already gone.
pub async fn remove(db: &Db, id: Uuid) -> Result<bool, DbErr> {
    let deleted = outbox::Entity::delete_by_id(id).exec(&db.conn).await?;
    Ok(deleted.rows_affected > 0)
}
