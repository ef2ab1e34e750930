//! Queries on `labels`.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, DbErr, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::{Db, entities::label, is_unique_violation};

pub use label::Model as Label;

fn live(project_id: Uuid) -> sea_orm::Select<label::Entity> {
    label::Entity::find()
        .filter(label::Column::ProjectId.eq(project_id))
        .filter(label::Column::DeletedAt.is_null())
}

/// One page of the project's labels, newest first; and how many there are.
pub async fn page(
    db: &Db,
    project_id: Uuid,
    offset: u64,
    limit: u64,
) -> Result<(Vec<Label>, u64), DbErr> {
    let found = db
        .memos
        .label_pages
        .get_or_load(db, (project_id, offset, limit), || async {
            let total = live(project_id).count(&db.conn).await?;
            let rows = live(project_id)
                .order_by_desc(label::Column::CreatedAt)
                .order_by_desc(label::Column::Id)
                .offset(offset)
                .limit(limit)
                .all(&db.conn)
                .await?;
            Ok::<_, DbErr>((rows, total))
        })
        .await?;
    Ok((*found).clone())
}

pub async fn get(db: &Db, project_id: Uuid, id: Uuid) -> Result<Option<Label>, DbErr> {
    live(project_id)
        .filter(label::Column::Id.eq(id))
        .one(&db.conn)
        .await
}

pub async fn by_ids(db: &Db, ids: &[Uuid]) -> Result<Vec<Label>, DbErr> {
    label::Entity::find()
        .filter(label::Column::Id.is_in(ids.iter().copied()))
        .filter(label::Column::DeletedAt.is_null())
        .all(&db.conn)
        .await
}

pub async fn by_name(db: &Db, project_id: Uuid, name: &str) -> Result<Option<Label>, DbErr> {
    live(project_id)
        .filter(label::Column::Name.eq(name))
        .one(&db.conn)
        .await
}

pub async fn by_external(
    db: &Db,
    project_id: Uuid,
    source: &str,
    external_id: &str,
) -> Result<Option<Label>, DbErr> {
    live(project_id)
        .filter(label::Column::ExternalSource.eq(source))
        .filter(label::Column::ExternalId.eq(external_id))
        .one(&db.conn)
        .await
}

/// The highest sort order in the project.
pub async fn max_sort_order(db: &Db, project_id: Uuid) -> Result<Option<f64>, DbErr> {
    let max: Option<Option<f64>> = label::Entity::find()
        .select_only()
        .column_as(Expr::col(label::Column::SortOrder).max(), "max")
        .filter(label::Column::ProjectId.eq(project_id))
        .filter(label::Column::DeletedAt.is_null())
        .into_tuple()
        .one(&db.conn)
        .await?;
    Ok(max.flatten())
}

#[derive(Debug, thiserror::Error)]
pub enum SaveLabelError {
    #[error("the name is taken")]
    NameTaken,
    /// The project was deleted meanwhile.
    #[error("the project is gone")]
    ProjectGone,
    #[error(transparent)]
    Db(#[from] DbErr),
}

fn clash(e: DbErr) -> SaveLabelError {
    if is_unique_violation(&e) {
        SaveLabelError::NameTaken
    } else {
        SaveLabelError::Db(e)
    }
}

/// Inserts the label with its project held against deletion; `ProjectGone` when it went.
pub async fn create(
    db: &Db,
    project_id: Uuid,
    row: label::ActiveModel,
) -> Result<Label, SaveLabelError> {
    super::projects::insert_held(db, project_id, row)
        .await
        .map_err(clash)?
        .ok_or(SaveLabelError::ProjectGone)
}

pub async fn save(
    db: &Db,
    row: Label,
    by: Uuid,
    now: DateTime<Utc>,
    change: impl FnOnce(&mut label::ActiveModel),
) -> Result<Label, SaveLabelError> {
    let mut active = row.into_active_model();
    change(&mut active);
    active.updated_at = Set(now);
    active.updated_by = Set(Some(by));
    label::Entity::update(active)
        .exec(&db.conn)
        .await
        .map_err(clash)
}

/// Soft-deletes the label and every label nested under it, at any depth (Plane's
/// `Label.parent` cascades), in one transaction.
pub async fn soft_delete(db: &Db, row: Label, by: Uuid, now: DateTime<Utc>) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    let mut doomed = vec![row.id];
    let mut seen = std::collections::HashSet::from([row.id]);
    let mut frontier = vec![row.id];
    // The descendants, level by level; `seen` ends a loop in stored data.
    // (Parents are asked about 500 at a time: both engines cap a statement's parameters.)
    while !frontier.is_empty() {
        let mut children: Vec<Uuid> = Vec::new();
        for parents in frontier.chunks(500) {
            let found: Vec<Uuid> = live(row.project_id)
                .select_only()
                .column(label::Column::Id)
                .filter(label::Column::ParentId.is_in(parents.iter().copied()))
                .into_tuple()
                .all(&txn)
                .await?;
            children.extend(found);
        }
        frontier = children.into_iter().filter(|id| seen.insert(*id)).collect();
        doomed.extend(&frontier);
    }
    for ids in doomed.chunks(500) {
        label::Entity::update_many()
            .col_expr(label::Column::DeletedAt, Expr::value(Some(now)))
            .col_expr(label::Column::UpdatedAt, Expr::value(now))
            .col_expr(label::Column::UpdatedBy, Expr::value(Some(by)))
            .filter(label::Column::Id.is_in(ids.iter().copied()))
            .filter(label::Column::DeletedAt.is_null())
            .exec(&txn)
            .await?;
    }
    txn.commit().await
}

pub async fn count(db: &Db, project_id: Uuid) -> Result<u64, DbErr> {
    live(project_id).count(&db.conn).await
}
