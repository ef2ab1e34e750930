//! Queries on `workspaces`, and the soft-delete cascades of workspaces and projects.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, JoinType,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
    sea_query::{Alias, Asterisk, Expr, ExprTrait, IntoCondition, LockType, Query},
};
use uuid::Uuid;

use super::{
    Db,
    entities::{workspace, workspace_member as member},
    is_unique_violation,
};

pub use workspace::Model as Workspace;

/// Tables whose rows belong to one workspace (`workspace_id`), cascaded on its deletion.
/// Later tables that belong to a workspace are added here.
pub const WORKSPACE_TABLES: &[&str] = &[
    "workspace_members",
    "workspace_member_invites",
    "projects",
    "project_members",
    "states",
    "labels",
    "estimates",
    "estimate_points",
    "issues",
];

/// Tables whose rows belong to one project (`project_id`), cascaded on its deletion.
pub const PROJECT_TABLES: &[&str] = &[
    "project_members",
    "states",
    "labels",
    "estimates",
    "estimate_points",
    "issues",
];

#[derive(Debug, Clone)]
pub struct NewWorkspace {
    pub name: String,
    pub slug: String,
    pub owner_id: Uuid,
    pub organization_size: Option<String>,
    pub timezone: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateWorkspaceError {
    #[error("the slug is taken")]
    SlugTaken,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Creates the workspace with its creator as owner and admin, in one transaction.
pub async fn create(
    db: &Db,
    new: NewWorkspace,
    now: DateTime<Utc>,
) -> Result<Workspace, CreateWorkspaceError> {
    let txn = db.begin().await?;
    let id = Uuid::now_v7();
    let inserted = workspace::Entity::insert(workspace::ActiveModel {
        id: Set(id),
        name: Set(new.name),
        slug: Set(new.slug),
        owner_id: Set(new.owner_id),
        logo: Set(None),
        organization_size: Set(new.organization_size),
        timezone: Set(new.timezone),
        background_color: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        created_by: Set(Some(new.owner_id)),
        updated_by: Set(None),
    })
    .exec_with_returning(&txn)
    .await;
    let workspace = match inserted {
        Ok(w) => w,
        Err(e) if is_unique_violation(&e) => return Err(CreateWorkspaceError::SlugTaken),
        Err(e) => return Err(e.into()),
    };
    super::workspace_members::insert(&txn, id, new.owner_id, 20, Some(new.owner_id), now).await?;
    txn.commit().await?;
    Ok(workspace)
}

/// A live workspace by slug.
pub async fn by_slug(db: &Db, slug: &str) -> Result<Option<Workspace>, DbErr> {
    workspace::Entity::find()
        .filter(workspace::Column::Slug.eq(slug))
        .filter(workspace::Column::DeletedAt.is_null())
        .one(&db.conn)
        .await
}

pub async fn by_ids(db: &Db, ids: &[Uuid]) -> Result<Vec<Workspace>, DbErr> {
    workspace::Entity::find()
        .filter(workspace::Column::Id.is_in(ids.iter().copied()))
        .filter(workspace::Column::DeletedAt.is_null())
        .all(&db.conn)
        .await
}

/// True when a live workspace uses the slug.
pub async fn slug_taken(db: &Db, slug: &str) -> Result<bool, DbErr> {
    Ok(by_slug(db, slug).await?.is_some())
}

/// The workspace and the user's membership row (active or not), in one query.
pub async fn with_membership(
    db: &Db,
    slug: &str,
    user_id: Uuid,
) -> Result<Option<(Workspace, Option<member::Model>)>, DbErr> {
    // One query (remembered while nothing changes): every API request under a workspace asks
    // this first.
    let found = db
        .memos
        .workspace_entries
        .get_or_load(db, (slug.to_string(), user_id), || {
            load_with_membership(db, slug, user_id)
        })
        .await?;
    Ok((*found).clone())
}

async fn load_with_membership(
    db: &Db,
    slug: &str,
    user_id: Uuid,
) -> Result<Option<(Workspace, Option<member::Model>)>, DbErr> {
    let theirs = workspace::Relation::Members
        .def()
        .on_condition(move |_left, right| {
            Condition::all()
                .add(Expr::col((right.clone(), member::Column::MemberId)).eq(user_id))
                .add(Expr::col((right, member::Column::DeletedAt)).is_null())
                .into_condition()
        });
    workspace::Entity::find()
        .join(JoinType::LeftJoin, theirs)
        .filter(workspace::Column::Slug.eq(slug))
        .filter(workspace::Column::DeletedAt.is_null())
        .select_also(member::Entity)
        .one(&db.conn)
        .await
}

/// The live workspaces the user is an active member of, by name, with their role; and how
/// many there are.
pub async fn for_member(
    db: &Db,
    user_id: Uuid,
    offset: u64,
    limit: u64,
) -> Result<(Vec<(Workspace, i16)>, u64), DbErr> {
    let query = workspace::Entity::find()
        .inner_join(member::Entity)
        .filter(member::Column::MemberId.eq(user_id))
        .filter(member::Column::IsActive.eq(true))
        .filter(member::Column::DeletedAt.is_null())
        .filter(workspace::Column::DeletedAt.is_null());
    let total = query.clone().count(&db.conn).await?;
    let rows = query
        .select_also(member::Entity)
        .order_by_asc(workspace::Column::Name)
        .order_by_asc(workspace::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(&db.conn)
        .await?;
    Ok((
        rows.into_iter()
            .map(|(w, m)| (w, m.map(|m| m.role).unwrap_or(5)))
            .collect(),
        total,
    ))
}

/// Applies `change` and stamps the update.
pub async fn save(
    db: &Db,
    workspace: Workspace,
    by: Uuid,
    now: DateTime<Utc>,
    change: impl FnOnce(&mut workspace::ActiveModel),
) -> Result<Workspace, DbErr> {
    let mut active = workspace.into_active_model();
    change(&mut active);
    active.updated_at = Set(now);
    active.updated_by = Set(Some(by));
    // Not a workspace deleted meanwhile: that is RecordNotUpdated, answered 404.
    workspace::Entity::update(active)
        .validate()?
        .filter(workspace::Column::DeletedAt.is_null())
        .exec(&db.conn)
        .await
}

/// The live workspace, locked for the rest of the transaction (`FOR NO KEY UPDATE` on Postgres:
/// it excludes [`hold`] and other locks, yet lets foreign-key checks of rows inserted under the
/// workspace pass, which would otherwise deadlock against a lock taken in the other order;
/// SQLite's write transaction holds the whole database).
pub async fn lock<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<Option<Workspace>, DbErr> {
    live_locked(conn, id, LockType::NoKeyUpdate).await
}

async fn live_locked<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    lock: LockType,
) -> Result<Option<Workspace>, DbErr> {
    workspace::Entity::find_by_id(id)
        .filter(workspace::Column::DeletedAt.is_null())
        .lock(lock)
        .one(conn)
        .await
}

/// Holds the live workspace against deletion until the transaction ends (`FOR SHARE`), as
/// [`super::projects::hold`] does for a project: rows created under it are committed before the
/// deletion's cascade looks, or refused. None when the workspace is gone.
pub async fn hold<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<Option<Workspace>, DbErr> {
    live_locked(conn, id, LockType::Share).await
}

/// Soft-deletes the workspace and everything in it, in one transaction, with the workspace's
/// row locked first (see [`hold`]).
pub async fn soft_delete(db: &Db, id: Uuid, by: Uuid, now: DateTime<Utc>) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    lock(&txn, id).await?;
    for table in WORKSPACE_TABLES {
        stamp_deleted(&txn, table, "workspace_id", id, by, now).await?;
    }
    stamp_deleted(&txn, "workspaces", "id", id, by, now).await?;
    txn.commit().await
}

/// Soft-deletes the project and everything in it; within the caller's transaction.
pub async fn soft_delete_project<C: ConnectionTrait>(
    conn: &C,
    project_id: Uuid,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for table in PROJECT_TABLES {
        stamp_deleted(conn, table, "project_id", project_id, by, now).await?;
    }
    stamp_deleted(conn, "projects", "id", project_id, by, now).await
}

/// `UPDATE <table> SET deleted_at = now … WHERE <column> = id AND deleted_at IS NULL`.
pub async fn stamp_deleted<C: ConnectionTrait>(
    conn: &C,
    table: &str,
    column: &str,
    id: Uuid,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let update = Query::update()
        .table(Alias::new(table))
        .values([
            (Alias::new("deleted_at"), now.into()),
            (Alias::new("updated_at"), now.into()),
            (Alias::new("updated_by"), by.into()),
        ])
        .and_where(Expr::col(Alias::new(column)).eq(id))
        .and_where(Expr::col(Alias::new("deleted_at")).is_null())
        .to_owned();
    conn.execute(&update).await?;
    Ok(())
}

/// Rows still live in `table` that belong to the workspace (for the cascade's tests).
pub async fn live_rows(db: &Db, table: &str, workspace_id: Uuid) -> Result<u64, DbErr> {
    let column = if table == "workspaces" {
        "id"
    } else {
        "workspace_id"
    };
    let count = Query::select()
        .expr_as(Expr::col(Asterisk).count(), Alias::new("n"))
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new(column)).eq(workspace_id))
        .and_where(Expr::col(Alias::new("deleted_at")).is_null())
        .to_owned();
    let row = db.conn.query_one(&count).await?;
    Ok(row
        .and_then(|r| r.try_get::<i64>("", "n").ok())
        .unwrap_or(0) as u64)
}
