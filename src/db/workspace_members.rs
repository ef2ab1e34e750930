//! Queries on `workspace_members`: who belongs to a workspace, with which role.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Alias, Expr, ExprTrait, LockType, Query},
};
use uuid::Uuid;

use super::{
    Db,
    entities::{project, project_member, user, workspace_member as member},
    users::User,
};

pub use member::Model as WorkspaceMember;

pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    workspace_id: Uuid,
    user_id: Uuid,
    role: i16,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<WorkspaceMember, DbErr> {
    member::Entity::insert(member::ActiveModel {
        id: Set(Uuid::now_v7()),
        workspace_id: Set(workspace_id),
        member_id: Set(user_id),
        role: Set(role),
        company_role: Set(None),
        is_active: Set(true),
        view_props: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        created_by: Set(by),
        updated_by: Set(None),
    })
    .exec_with_returning(conn)
    .await
}

/// Makes the user an active member with `role`, reviving an earlier membership if there is one.
pub async fn join<C: ConnectionTrait>(
    conn: &C,
    workspace_id: Uuid,
    user_id: Uuid,
    role: i16,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<WorkspaceMember, DbErr> {
    let existing = member::Entity::find()
        .filter(member::Column::WorkspaceId.eq(workspace_id))
        .filter(member::Column::MemberId.eq(user_id))
        .one(conn)
        .await?;
    match existing {
        Some(row) => {
            let mut active = row.into_active_model();
            active.is_active = Set(true);
            active.role = Set(role);
            active.deleted_at = Set(None);
            active.updated_at = Set(now);
            active.updated_by = Set(by);
            member::Entity::update(active).exec(conn).await
        }
        None => insert(conn, workspace_id, user_id, role, by, now).await,
    }
}

/// Filters for member lists (the SDK's `MemberQueryParams`).
#[derive(Debug, Clone, Default)]
pub struct MemberFilter {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub roles: Option<Vec<i16>>,
    pub is_active: Option<bool>,
    pub is_bot: Option<bool>,
}

/// The width of the user columns filtered on: a longer text is contained in none of them.
const USER_TEXT_COLUMN_CHARS: usize = 255;

/// Case-insensitive "contains" on a user column, the same on both engines.
pub fn user_contains(column: user::Column, text: &str) -> sea_orm::sea_query::SimpleExpr {
    // No row can hold it; and SQLite refuses LIKE patterns of over 50,000 bytes (a 500).
    if text.chars().count() > USER_TEXT_COLUMN_CHARS {
        return Expr::cust("1 = 0");
    }
    let pattern = format!(
        "%{}%",
        text.to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    Expr::expr(sea_orm::sea_query::Func::lower(Expr::col((
        user::Entity,
        column,
    ))))
    .like(sea_orm::sea_query::LikeExpr::new(pattern).escape('\\'))
}

pub fn user_filter(filter: &MemberFilter) -> Condition {
    let mut condition = Condition::all();
    for (column, text) in [
        (user::Column::FirstName, &filter.first_name),
        (user::Column::LastName, &filter.last_name),
        (user::Column::Email, &filter.email),
        (user::Column::DisplayName, &filter.display_name),
    ] {
        if let Some(text) = text {
            condition = condition.add(user_contains(column, text));
        }
    }
    if let Some(is_bot) = filter.is_bot {
        condition = condition.add(user::Column::IsBot.eq(is_bot));
    }
    condition
}

/// Members (active or not) of the workspace with their users, newest membership first (as
/// Plane); and the total.
pub async fn list(
    db: &Db,
    workspace_id: Uuid,
    filter: &MemberFilter,
    page: Option<(u64, u64)>,
) -> Result<(Vec<(WorkspaceMember, User)>, u64), DbErr> {
    let mut query = member::Entity::find()
        .find_also_related(user::Entity)
        .filter(member::Column::WorkspaceId.eq(workspace_id))
        .filter(member::Column::DeletedAt.is_null())
        .filter(user::Column::DeletedAt.is_null())
        .filter(user_filter(filter));
    if let Some(active) = filter.is_active {
        query = query.filter(member::Column::IsActive.eq(active));
    }
    if let Some(roles) = &filter.roles {
        query = query.filter(member::Column::Role.is_in(roles.iter().copied()));
    }
    let total = query.clone().count(&db.conn).await?;
    // Newest membership first: Plane's `WorkspaceMember` ordering.
    let mut query = query
        .order_by_desc(member::Column::CreatedAt)
        .order_by_desc(member::Column::Id);
    if let Some((offset, limit)) = page {
        query = query.offset(offset).limit(limit);
    }
    let rows = query.all(&db.conn).await?;
    Ok((
        rows.into_iter()
            .filter_map(|(m, u)| u.map(|u| (m, u)))
            .collect(),
        total,
    ))
}

/// One membership, found by the member's user id or by the membership's own id.
pub async fn find(
    db: &Db,
    workspace_id: Uuid,
    id: Uuid,
) -> Result<Option<(WorkspaceMember, User)>, DbErr> {
    let row = member::Entity::find()
        .find_also_related(user::Entity)
        .filter(member::Column::WorkspaceId.eq(workspace_id))
        .filter(member::Column::DeletedAt.is_null())
        .filter(
            Condition::any()
                .add(member::Column::MemberId.eq(id))
                .add(member::Column::Id.eq(id)),
        )
        .one(&db.conn)
        .await?;
    Ok(row.and_then(|(m, u)| u.map(|u| (m, u))))
}

/// The user's active membership, if any.
pub async fn active(
    db: &Db,
    workspace_id: Uuid,
    user_id: Uuid,
) -> Result<Option<WorkspaceMember>, DbErr> {
    member::Entity::find()
        .filter(member::Column::WorkspaceId.eq(workspace_id))
        .filter(member::Column::MemberId.eq(user_id))
        .filter(member::Column::IsActive.eq(true))
        .filter(member::Column::DeletedAt.is_null())
        .one(&db.conn)
        .await
}

/// Active members who are not bots.
pub async fn count_active(db: &Db, workspace_id: Uuid) -> Result<u64, DbErr> {
    active_humans()
        .filter(member::Column::WorkspaceId.eq(workspace_id))
        .count(&db.conn)
        .await
}

/// [`count_active`] for several workspaces in one query (a workspace without any is absent).
pub async fn count_active_of(
    db: &Db,
    workspace_ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, u64>, DbErr> {
    if workspace_ids.is_empty() {
        return Ok(Default::default());
    }
    let rows: Vec<(Uuid, i64)> = active_humans()
        .select_only()
        .column(member::Column::WorkspaceId)
        .column_as(Expr::col((member::Entity, member::Column::Id)).count(), "n")
        .filter(member::Column::WorkspaceId.is_in(workspace_ids.iter().copied()))
        .group_by(member::Column::WorkspaceId)
        .into_tuple()
        .all(&db.conn)
        .await?;
    Ok(rows.into_iter().map(|(id, n)| (id, n as u64)).collect())
}

/// Active, live memberships of people (bots aside), as workspaces count their members.
fn active_humans() -> sea_orm::Select<member::Entity> {
    member::Entity::find()
        .inner_join(user::Entity)
        .filter(member::Column::IsActive.eq(true))
        .filter(member::Column::DeletedAt.is_null())
        .filter(user::Column::IsBot.eq(false))
}

/// The user's role as an active member of the workspace, read under a share lock held until
/// the transaction ends: a concurrent change of it either committed first and is seen, or
/// waits for this transaction (and then applies to what it wrote too).
pub async fn role_held<C: ConnectionTrait>(
    conn: &C,
    workspace_id: Uuid,
    user_id: Uuid,
) -> Result<Option<i16>, DbErr> {
    active_role(conn, workspace_id, user_id, LockType::Share).await
}

/// [`role_held`], with the membership row locked for update instead: a change of the role (or
/// its end) decides only after every transaction that read it under share — a project
/// creation making the user its admin, say — has committed, so it sees what they wrote.
async fn role_locked<C: ConnectionTrait>(
    conn: &C,
    workspace_id: Uuid,
    user_id: Uuid,
) -> Result<Option<i16>, DbErr> {
    active_role(conn, workspace_id, user_id, LockType::Update).await
}

async fn active_role<C: ConnectionTrait>(
    conn: &C,
    workspace_id: Uuid,
    user_id: Uuid,
    lock: LockType,
) -> Result<Option<i16>, DbErr> {
    member::Entity::find()
        .select_only()
        .column(member::Column::Role)
        .filter(member::Column::WorkspaceId.eq(workspace_id))
        .filter(member::Column::MemberId.eq(user_id))
        .filter(member::Column::IsActive.eq(true))
        .filter(member::Column::DeletedAt.is_null())
        .lock(lock)
        .into_tuple()
        .one(conn)
        .await
}

/// Active admins of the workspace.
async fn count_admins_in<C: ConnectionTrait>(conn: &C, workspace_id: Uuid) -> Result<u64, DbErr> {
    member::Entity::find()
        .filter(member::Column::WorkspaceId.eq(workspace_id))
        .filter(member::Column::IsActive.eq(true))
        .filter(member::Column::DeletedAt.is_null())
        .filter(member::Column::Role.gte(20))
        .count(conn)
        .await
}

/// What a change of membership that lowers project roles did.
#[derive(Debug)]
pub enum Outcome<T> {
    Done(T),
    /// Refused: the user is the only active admin of a live project of the workspace, which
    /// would be left without one (Plane refuses this too).
    SoleProjectAdmin,
    /// The workspace (or, for a role change, the membership) went meanwhile.
    WorkspaceGone,
    /// Refused: the user is the workspace's last active admin.
    LastWorkspaceAdmin,
}

/// Whether `user_id` is the only active admin of some live project of the workspace.
/// [`sole_project_admin`], with the rows of the projects the user administers locked first (in
/// id order), as a project admin stepping down locks their project
/// (`project_members::change_keeping_an_admin`): the two checks cannot both pass on stale
/// counts and leave a project without an admin.
async fn sole_project_admin_locked<C: ConnectionTrait>(
    conn: &C,
    workspace_id: Uuid,
    user_id: Uuid,
) -> Result<bool, DbErr> {
    let administered: Vec<Uuid> = project_member::Entity::find()
        .select_only()
        .column(project_member::Column::ProjectId)
        .filter(project_member::Column::WorkspaceId.eq(workspace_id))
        .filter(project_member::Column::MemberId.eq(user_id))
        .filter(project_member::Column::IsActive.eq(true))
        .filter(project_member::Column::DeletedAt.is_null())
        .filter(project_member::Column::Role.gte(20))
        .into_tuple()
        .all(conn)
        .await?;
    if !administered.is_empty() {
        project::Entity::find()
            .filter(project::Column::Id.is_in(administered))
            .order_by_asc(project::Column::Id)
            .lock(LockType::NoKeyUpdate)
            .all(conn)
            .await?;
    }
    sole_project_admin(conn, workspace_id, user_id).await
}

async fn sole_project_admin<C: ConnectionTrait>(
    conn: &C,
    workspace_id: Uuid,
    user_id: Uuid,
) -> Result<bool, DbErr> {
    let other = Alias::new("other");
    let another_admin = Query::select()
        .expr(Expr::val(1))
        .from_as(project_member::Entity, other.clone())
        .and_where(
            Expr::col((other.clone(), project_member::Column::ProjectId))
                .equals((project_member::Entity, project_member::Column::ProjectId)),
        )
        .and_where(Expr::col((other.clone(), project_member::Column::MemberId)).ne(user_id))
        .and_where(Expr::col((other.clone(), project_member::Column::IsActive)).eq(true))
        .and_where(Expr::col((other.clone(), project_member::Column::DeletedAt)).is_null())
        .and_where(Expr::col((other, project_member::Column::Role)).gte(20))
        .to_owned();
    let found = project_member::Entity::find()
        .inner_join(project::Entity)
        .filter(project::Column::DeletedAt.is_null())
        .filter(project_member::Column::WorkspaceId.eq(workspace_id))
        .filter(project_member::Column::MemberId.eq(user_id))
        .filter(project_member::Column::IsActive.eq(true))
        .filter(project_member::Column::DeletedAt.is_null())
        .filter(project_member::Column::Role.gte(20))
        .filter(Expr::exists(another_admin).not())
        .one(conn)
        .await?;
    Ok(found.is_some())
}

/// Sets the workspace role, lowering the user's project roles above it, unless that would
/// leave a project without an admin. The workspace is held first (as every change of a
/// membership does): its deletion locks the workspace and then all its members and projects, so
/// a change that locked a project and then waited for a member row would deadlock against it.
pub async fn set_role(
    db: &Db,
    row: WorkspaceMember,
    role: i16,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<Outcome<WorkspaceMember>, DbErr> {
    let txn = db.begin().await?;
    let workspace_id = row.workspace_id;
    let user_id = row.member_id;
    if super::workspaces::hold(&txn, workspace_id).await?.is_none() {
        return Ok(Outcome::WorkspaceGone);
    }
    // Projects before the membership row, the order a project admin's change takes.
    let sole_admin = role < 20 && sole_project_admin_locked(&txn, workspace_id, user_id).await?;
    let Some(current) = role_locked(&txn, workspace_id, user_id).await? else {
        return Ok(Outcome::WorkspaceGone);
    };
    if current >= 20 && role < 20 && count_admins_in(&txn, workspace_id).await? <= 1 {
        return Ok(Outcome::LastWorkspaceAdmin);
    }
    // Asked again once the row is locked: a project the user created meanwhile (its creation
    // held their role under share, so it has committed now) counts too.
    if sole_admin || (role < 20 && sole_project_admin(&txn, workspace_id, user_id).await?) {
        return Ok(Outcome::SoleProjectAdmin);
    }
    let mut active = row.into_active_model();
    active.role = Set(role);
    active.updated_at = Set(now);
    active.updated_by = Set(Some(by));
    let updated = member::Entity::update(active).exec(&txn).await?;
    // A project role may not exceed the workspace role (Plane lowers them too).
    project_member::Entity::update_many()
        .col_expr(project_member::Column::Role, Expr::value(role))
        .col_expr(project_member::Column::UpdatedAt, Expr::value(now))
        .filter(project_member::Column::WorkspaceId.eq(workspace_id))
        .filter(project_member::Column::MemberId.eq(user_id))
        .filter(project_member::Column::Role.gt(role))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Outcome::Done(updated))
}

/// Ends the user's membership of the workspace and of each of its projects (the rows stay,
/// inactive, as Plane keeps them), unless that would leave the workspace or a project without
/// an admin.
pub async fn deactivate(
    db: &Db,
    workspace_id: Uuid,
    user_id: Uuid,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<Outcome<()>, DbErr> {
    let txn = db.begin().await?;
    if super::workspaces::hold(&txn, workspace_id).await?.is_none() {
        return Ok(Outcome::WorkspaceGone);
    }
    // Projects before the membership row, as in `set_role`.
    let sole_admin = sole_project_admin_locked(&txn, workspace_id, user_id).await?;
    let is_admin = role_locked(&txn, workspace_id, user_id)
        .await?
        .is_some_and(|role| role >= 20);
    if is_admin && count_admins_in(&txn, workspace_id).await? <= 1 {
        return Ok(Outcome::LastWorkspaceAdmin);
    }
    if sole_admin || sole_project_admin(&txn, workspace_id, user_id).await? {
        return Ok(Outcome::SoleProjectAdmin);
    }
    member::Entity::update_many()
        .col_expr(member::Column::IsActive, Expr::value(false))
        .col_expr(member::Column::UpdatedAt, Expr::value(now))
        .col_expr(member::Column::UpdatedBy, Expr::value(by))
        .filter(member::Column::WorkspaceId.eq(workspace_id))
        .filter(member::Column::MemberId.eq(user_id))
        .exec(&txn)
        .await?;
    project_member::Entity::update_many()
        .col_expr(project_member::Column::IsActive, Expr::value(false))
        .col_expr(project_member::Column::UpdatedAt, Expr::value(now))
        .col_expr(project_member::Column::UpdatedBy, Expr::value(by))
        .filter(project_member::Column::WorkspaceId.eq(workspace_id))
        .filter(project_member::Column::MemberId.eq(user_id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Outcome::Done(()))
}
