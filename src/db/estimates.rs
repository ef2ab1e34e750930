//! Queries on `estimates` and `estimate_points`: one estimate scale per project.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};
use uuid::Uuid;

use super::{
    Db,
    entities::{estimate, estimate_point as point, project},
    is_unique_violation,
    projects::Closed,
};

pub use estimate::Model as Estimate;
pub use point::Model as EstimatePoint;

/// The project's estimate, if it has one.
pub async fn of_project(db: &Db, project_id: Uuid) -> Result<Option<Estimate>, DbErr> {
    estimate::Entity::find()
        .filter(estimate::Column::ProjectId.eq(project_id))
        .filter(estimate::Column::DeletedAt.is_null())
        .one(&db.conn)
        .await
}

pub async fn get(db: &Db, project_id: Uuid, id: Uuid) -> Result<Option<Estimate>, DbErr> {
    get_in(&db.conn, project_id, id).await
}

/// [`get`] within the caller's transaction.
pub async fn get_in<C: ConnectionTrait>(
    conn: &C,
    project_id: Uuid,
    id: Uuid,
) -> Result<Option<Estimate>, DbErr> {
    estimate::Entity::find()
        .filter(estimate::Column::ProjectId.eq(project_id))
        .filter(estimate::Column::Id.eq(id))
        .filter(estimate::Column::DeletedAt.is_null())
        .one(conn)
        .await
}

#[derive(Debug, thiserror::Error)]
pub enum CreateEstimateError {
    /// The project already has an estimate (a concurrent creation won).
    #[error("the project already has an estimate")]
    Exists,
    /// The project was deleted or archived meanwhile.
    #[error("the project is closed")]
    Closed(Closed),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Inserts the estimate with its project held against deletion and archiving.
pub async fn create(
    db: &Db,
    project_id: Uuid,
    row: estimate::ActiveModel,
) -> Result<Estimate, CreateEstimateError> {
    super::projects::insert_held(db, project_id, row)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                CreateEstimateError::Exists
            } else {
                CreateEstimateError::Db(e)
            }
        })?
        .map_err(CreateEstimateError::Closed)
}

/// Applies `change` with the project held open for writes (`Err(Closed)` otherwise).
pub async fn save(
    db: &Db,
    row: Estimate,
    by: Uuid,
    now: DateTime<Utc>,
    change: impl FnOnce(&mut estimate::ActiveModel),
) -> Result<Result<Estimate, Closed>, DbErr> {
    let txn = db.begin().await?;
    if let Err(closed) = super::projects::hold_open(&txn, row.project_id).await? {
        return Ok(Err(closed));
    }
    let mut active = row.into_active_model();
    change(&mut active);
    active.updated_at = Set(now);
    active.updated_by = Set(Some(by));
    // Not an estimate deleted meanwhile: that is RecordNotUpdated, answered 404.
    let saved = estimate::Entity::update(active)
        .validate()?
        .filter(estimate::Column::DeletedAt.is_null())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Ok(saved))
}

/// Soft-deletes the estimate and its points; the project stops using it. `Err(Closed)` when
/// the project is no longer open for writes.
pub async fn soft_delete(
    db: &Db,
    row: Estimate,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<Result<(), Closed>, DbErr> {
    let txn = db.begin().await?;
    // First the project, as a change that points the project at the estimate takes it
    // (`projects::save_checked`): that change either sees the estimate gone or is undone here.
    if let Err(closed) = super::projects::lock_open(&txn, row.project_id).await? {
        return Ok(Err(closed));
    }
    super::workspaces::stamp_deleted(&txn, "estimate_points", "estimate_id", row.id, by, now)
        .await?;
    project::Entity::update_many()
        .col_expr(
            project::Column::EstimateId,
            Expr::value(Option::<Uuid>::None),
        )
        .filter(project::Column::EstimateId.eq(row.id))
        .exec(&txn)
        .await?;
    super::workspaces::stamp_deleted(&txn, "estimates", "id", row.id, by, now).await?;
    txn.commit().await?;
    Ok(Ok(()))
}

/// The estimate's points, by key.
pub async fn points(db: &Db, estimate_id: Uuid) -> Result<Vec<EstimatePoint>, DbErr> {
    point::Entity::find()
        .filter(point::Column::EstimateId.eq(estimate_id))
        .filter(point::Column::DeletedAt.is_null())
        .order_by_asc(point::Column::Key)
        .order_by_asc(point::Column::Value)
        .all(&db.conn)
        .await
}

pub async fn point(db: &Db, estimate_id: Uuid, id: Uuid) -> Result<Option<EstimatePoint>, DbErr> {
    point::Entity::find()
        .filter(point::Column::EstimateId.eq(estimate_id))
        .filter(point::Column::Id.eq(id))
        .filter(point::Column::DeletedAt.is_null())
        .one(&db.conn)
        .await
}

/// The live estimate, its row locked until the transaction ends (Postgres; SQLite's write
/// transaction already holds the whole database).
async fn lock<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<Option<Estimate>, DbErr> {
    estimate::Entity::find_by_id(id)
        .filter(estimate::Column::DeletedAt.is_null())
        .lock_exclusive()
        .one(conn)
        .await
}

async fn live_points<C: ConnectionTrait>(
    conn: &C,
    estimate_id: Uuid,
) -> Result<Vec<EstimatePoint>, DbErr> {
    point::Entity::find()
        .filter(point::Column::EstimateId.eq(estimate_id))
        .filter(point::Column::DeletedAt.is_null())
        .all(conn)
        .await
}

/// What became of a write to an estimate's points.
#[derive(Debug)]
pub enum PointWrite<T, E> {
    Done(T),
    /// The check refused it against the estimate's current points.
    Refused(E),
    /// The estimate, the point or the project went meanwhile.
    Gone,
    /// The project was archived meanwhile.
    Archived,
}

impl<T, E> From<Closed> for PointWrite<T, E> {
    fn from(closed: Closed) -> Self {
        match closed {
            Closed::Gone => PointWrite::Gone,
            Closed::Archived => PointWrite::Archived,
        }
    }
}

/// Inserts the points `plan` makes from the estimate's current points, all or none, with the
/// project held open for writes and then the estimate locked, so that concurrent additions see
/// each other. (The project first, as every write that takes both does.)
pub async fn add_points<E>(
    db: &Db,
    estimate: &Estimate,
    plan: impl FnOnce(&[EstimatePoint]) -> Result<Vec<point::ActiveModel>, E>,
) -> Result<PointWrite<Vec<EstimatePoint>, E>, DbErr> {
    let txn = db.begin().await?;
    if let Err(closed) = super::projects::hold_open(&txn, estimate.project_id).await? {
        return Ok(closed.into());
    }
    if lock(&txn, estimate.id).await?.is_none() {
        return Ok(PointWrite::Gone);
    }
    let rows = match plan(&live_points(&txn, estimate.id).await?) {
        Ok(rows) => rows,
        Err(refusal) => return Ok(PointWrite::Refused(refusal)),
    };
    let mut created = Vec::with_capacity(rows.len());
    for row in rows {
        created.push(point::Entity::insert(row).exec_with_returning(&txn).await?);
    }
    txn.commit().await?;
    Ok(PointWrite::Done(created))
}

/// Applies `change` to the point once `check` accepts it against the estimate's current
/// points, with the project and the estimate held as [`add_points`] holds them.
pub async fn change_point<E>(
    db: &Db,
    row: EstimatePoint,
    by: Uuid,
    now: DateTime<Utc>,
    check: impl FnOnce(&[EstimatePoint]) -> Result<(), E>,
    change: impl FnOnce(&mut point::ActiveModel),
) -> Result<PointWrite<EstimatePoint, E>, DbErr> {
    let txn = db.begin().await?;
    if let Err(closed) = super::projects::hold_open(&txn, row.project_id).await? {
        return Ok(closed.into());
    }
    if lock(&txn, row.estimate_id).await?.is_none() {
        return Ok(PointWrite::Gone);
    }
    let existing = live_points(&txn, row.estimate_id).await?;
    if !existing.iter().any(|p| p.id == row.id) {
        return Ok(PointWrite::Gone);
    }
    if let Err(refusal) = check(&existing) {
        return Ok(PointWrite::Refused(refusal));
    }
    let mut active = row.into_active_model();
    change(&mut active);
    active.updated_at = Set(now);
    active.updated_by = Set(Some(by));
    let saved = point::Entity::update(active)
        .validate()?
        .filter(point::Column::DeletedAt.is_null())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(PointWrite::Done(saved))
}

/// Soft-deletes the point with its project held open for writes (`Err(Closed)` otherwise). A
/// point deleted meanwhile is RecordNotUpdated, answered 404.
pub async fn delete_point(
    db: &Db,
    row: EstimatePoint,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<Result<(), Closed>, DbErr> {
    let txn = db.begin().await?;
    if let Err(closed) = super::projects::hold_open(&txn, row.project_id).await? {
        return Ok(Err(closed));
    }
    let mut active = row.into_active_model();
    active.deleted_at = Set(Some(now));
    active.updated_at = Set(now);
    active.updated_by = Set(Some(by));
    point::Entity::update(active)
        .validate()?
        .filter(point::Column::DeletedAt.is_null())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Ok(()))
}
