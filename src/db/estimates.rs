//! Queries on `estimates` and `estimate_points`: one estimate scale per project.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    sea_query::Expr,
};
use uuid::Uuid;

use super::{
    Db,
    entities::{estimate, estimate_point as point, project},
    is_unique_violation,
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
    estimate::Entity::find()
        .filter(estimate::Column::ProjectId.eq(project_id))
        .filter(estimate::Column::Id.eq(id))
        .filter(estimate::Column::DeletedAt.is_null())
        .one(&db.conn)
        .await
}

#[derive(Debug, thiserror::Error)]
pub enum CreateEstimateError {
    /// The project already has an estimate (a concurrent creation won).
    #[error("the project already has an estimate")]
    Exists,
    #[error(transparent)]
    Db(#[from] DbErr),
}

pub async fn create(db: &Db, row: estimate::ActiveModel) -> Result<Estimate, CreateEstimateError> {
    estimate::Entity::insert(row)
        .exec_with_returning(&db.conn)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                CreateEstimateError::Exists
            } else {
                CreateEstimateError::Db(e)
            }
        })
}

pub async fn save(
    db: &Db,
    row: Estimate,
    by: Uuid,
    now: DateTime<Utc>,
    change: impl FnOnce(&mut estimate::ActiveModel),
) -> Result<Estimate, DbErr> {
    let mut active = row.into_active_model();
    change(&mut active);
    active.updated_at = Set(now);
    active.updated_by = Set(Some(by));
    estimate::Entity::update(active).exec(&db.conn).await
}

/// Soft-deletes the estimate and its points; the project stops using it.
pub async fn soft_delete(
    db: &Db,
    row: Estimate,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let txn = db.begin().await?;
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
    txn.commit().await
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

/// Inserts all the points or none.
pub async fn create_points(
    db: &Db,
    rows: Vec<point::ActiveModel>,
) -> Result<Vec<EstimatePoint>, DbErr> {
    let txn = db.begin().await?;
    let mut created = Vec::with_capacity(rows.len());
    for row in rows {
        created.push(point::Entity::insert(row).exec_with_returning(&txn).await?);
    }
    txn.commit().await?;
    Ok(created)
}

pub async fn save_point(
    db: &Db,
    row: EstimatePoint,
    by: Uuid,
    now: DateTime<Utc>,
    change: impl FnOnce(&mut point::ActiveModel),
) -> Result<EstimatePoint, DbErr> {
    let mut active = row.into_active_model();
    change(&mut active);
    active.updated_at = Set(now);
    active.updated_by = Set(Some(by));
    point::Entity::update(active).exec(&db.conn).await
}

pub async fn delete_point(
    db: &Db,
    row: EstimatePoint,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    save_point(db, row, by, now, |p| p.deleted_at = Set(Some(now)))
        .await
        .map(|_| ())
}
