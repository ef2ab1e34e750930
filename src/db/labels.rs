//! Queries on `labels`.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::{Db, entities::label, is_unique_violation, is_unique_violation_of, projects::Closed};

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
    /// Another live row of the project has the external reference (a concurrent request won).
    #[error("the external reference is taken")]
    ExternalTaken,
    /// The project was deleted meanwhile.
    #[error("the project is gone")]
    ProjectGone,
    /// The project was archived meanwhile.
    #[error("the project is archived")]
    Archived,
    /// The parent went, or would make a loop, by the time the write ran.
    #[error("the parent does not fit")]
    Parent { fit: ParentFit, parent_id: Uuid },
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<Closed> for SaveLabelError {
    fn from(closed: Closed) -> Self {
        match closed {
            Closed::Gone => SaveLabelError::ProjectGone,
            Closed::Archived => SaveLabelError::Archived,
        }
    }
}

fn clash(e: DbErr) -> SaveLabelError {
    if is_unique_violation_of(&e, "external") {
        SaveLabelError::ExternalTaken
    } else if is_unique_violation(&e) {
        SaveLabelError::NameTaken
    } else {
        SaveLabelError::Db(e)
    }
}

/// Whether a label may hang under `parent_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParentFit {
    Fits,
    /// Not a live label of the project.
    Missing,
    /// The label itself or one of its descendants: nesting would close a loop.
    Loop,
}

/// Whether `label_id` (None for a new label) may hang under `parent_id`: the parent is a live
/// label of the project, and walking up from it never meets the label.
pub async fn parent_fit<C: ConnectionTrait>(
    conn: &C,
    project_id: Uuid,
    label_id: Option<Uuid>,
    parent_id: Uuid,
) -> Result<ParentFit, DbErr> {
    // The project's whole tree in one query, walked up from the parent in memory: any depth,
    // one round trip. A walk that meets a label twice (not in stored data, which stays
    // loop-free) counts as a loop too.
    let parents: std::collections::HashMap<Uuid, Option<Uuid>> = live(project_id)
        .select_only()
        .column(label::Column::Id)
        .column(label::Column::ParentId)
        .into_tuple::<(Uuid, Option<Uuid>)>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    if !parents.contains_key(&parent_id) {
        return Ok(ParentFit::Missing);
    }
    let mut seen = std::collections::HashSet::new();
    let mut cursor = Some(parent_id);
    while let Some(id) = cursor {
        if Some(id) == label_id || !seen.insert(id) {
            return Ok(ParentFit::Loop);
        }
        cursor = parents.get(&id).copied().flatten();
    }
    Ok(ParentFit::Fits)
}

/// Inside a write that nests a label, with the project's row locked: the parent is checked
/// again, so a parent deleted or re-nested meanwhile (its deletion and other nestings lock the
/// project too) cannot leave a child under a deleted label or close a loop.
async fn lock_for_nesting<C: ConnectionTrait>(
    conn: &C,
    project_id: Uuid,
    label_id: Option<Uuid>,
    parent_id: Option<Uuid>,
) -> Result<(), SaveLabelError> {
    super::projects::lock_open(conn, project_id).await??;
    if let Some(parent_id) = parent_id {
        match parent_fit(conn, project_id, label_id, parent_id).await? {
            ParentFit::Fits => {}
            fit => return Err(SaveLabelError::Parent { fit, parent_id }),
        }
    }
    Ok(())
}

/// Inserts the label with its project locked (against deletion, and against its parent
/// changing meanwhile, see [`lock_for_nesting`]).
pub async fn create(
    db: &Db,
    project_id: Uuid,
    row: label::ActiveModel,
) -> Result<Label, SaveLabelError> {
    let parent_id = match &row.parent_id {
        sea_orm::ActiveValue::Set(parent) | sea_orm::ActiveValue::Unchanged(parent) => *parent,
        sea_orm::ActiveValue::NotSet => None,
    };
    let txn = db.begin().await?;
    lock_for_nesting(&txn, project_id, None, parent_id).await?;
    let inserted = label::Entity::insert(row)
        .exec_with_returning(&txn)
        .await
        .map_err(clash)?;
    txn.commit().await?;
    Ok(inserted)
}

pub async fn save(
    db: &Db,
    row: Label,
    by: Uuid,
    now: DateTime<Utc>,
    change: impl FnOnce(&mut label::ActiveModel),
) -> Result<Label, SaveLabelError> {
    let (id, project_id) = (row.id, row.project_id);
    let mut active = row.into_active_model();
    change(&mut active);
    active.updated_at = Set(now);
    active.updated_by = Set(Some(by));
    let txn = db.begin().await?;
    let new_parent = match &active.parent_id {
        sea_orm::ActiveValue::Set(parent) => *parent,
        _ => None,
    };
    lock_for_nesting(&txn, project_id, Some(id), new_parent).await?;
    // Deleted meanwhile (with a parent of it, say): nothing to change.
    if live(project_id)
        .filter(label::Column::Id.eq(id))
        .one(&txn)
        .await?
        .is_none()
    {
        return Err(SaveLabelError::ProjectGone);
    }
    let updated = label::Entity::update(active)
        .exec(&txn)
        .await
        .map_err(clash)?;
    txn.commit().await?;
    Ok(updated)
}

/// Soft-deletes the label and every label nested under it, at any depth (Plane's
/// `Label.parent` cascades), in one transaction; `Err(Closed)` when the project is no longer
/// open for writes.
pub async fn soft_delete(
    db: &Db,
    row: Label,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<Result<(), Closed>, DbErr> {
    let txn = db.begin().await?;
    // Nesting writes lock the project too: none can hang a label under one going now.
    if let Err(closed) = super::projects::lock_open(&txn, row.project_id).await? {
        return Ok(Err(closed));
    }
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
    txn.commit().await?;
    Ok(Ok(()))
}

pub async fn count(db: &Db, project_id: Uuid) -> Result<u64, DbErr> {
    live(project_id).count(&db.conn).await
}
