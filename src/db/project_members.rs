//! Queries on `project_members`: who is in a project, with which role, and each member's own
//! ordering of their projects.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::{
    Db,
    entities::{project_member as member, user},
    projects::{Closed, Project},
    users::User,
    workspace_members::{MemberFilter, user_filter},
};

pub use member::Model as ProjectMember;

/// Where a new membership goes in the member's own project order: first (Plane: the lowest
/// sort order minus 10000, or 65535 for a first project).
async fn first_place<C: ConnectionTrait>(
    conn: &C,
    workspace_id: Uuid,
    user_id: Uuid,
) -> Result<f64, DbErr> {
    let lowest: Option<Option<f64>> = member::Entity::find()
        .select_only()
        .column_as(Expr::col(member::Column::SortOrder).min(), "lowest")
        .filter(member::Column::WorkspaceId.eq(workspace_id))
        .filter(member::Column::MemberId.eq(user_id))
        .filter(member::Column::DeletedAt.is_null())
        .into_tuple()
        .one(conn)
        .await?;
    Ok(match lowest.flatten() {
        Some(lowest) => lowest - 10000.0,
        None => 65535.0,
    })
}

/// Whether a membership change goes ahead in an archived project, which is otherwise read-only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnArchived {
    /// Joining or leaving: a member's own choice, allowed there too.
    Proceed,
    /// Adding, removing or re-roling someone else: refused.
    Refuse,
}

/// Takes the locks every membership change starts with: the workspace first (its deletion
/// locks the memberships and then the projects, the order this would otherwise meet the other
/// way), then the project row, whose archive state is looked at under that lock, so an archive
/// that committed after the request's own check is seen.
async fn lock_for_member_change<C: ConnectionTrait>(
    txn: &C,
    workspace_id: Uuid,
    project_id: Uuid,
    on_archived: OnArchived,
) -> Result<Result<(), Closed>, DbErr> {
    if super::workspaces::hold(txn, workspace_id).await?.is_none() {
        return Ok(Err(Closed::Gone));
    }
    Ok(match super::projects::lock_open(txn, project_id).await? {
        Ok(_) => Ok(()),
        Err(Closed::Archived) if on_archived == OnArchived::Proceed => Ok(()),
        Err(closed) => Err(closed),
    })
}

/// The role a joining user gets.
#[derive(Debug, Clone, Copy)]
pub enum JoinRole {
    /// Their workspace role (joining a public project, as Plane does).
    OfWorkspace,
    /// This one, which may not exceed their workspace role.
    AtMost(i16),
}

/// What [`join_live`] did.
#[derive(Debug)]
pub enum Joined {
    Done(Box<ProjectMember>),
    /// An active member already (a concurrent addition may have won).
    AlreadyMember,
    /// Not an active member of the workspace.
    NotInWorkspace,
    /// The role asked for is above the workspace role.
    RoleTooHigh,
    /// The project was deleted meanwhile.
    ProjectGone,
    /// The project was archived meanwhile (and the change is not one allowed then).
    Archived,
}

/// [`join`], checked and written under the project's row lock, so that two additions of one
/// user (a double click) cannot both insert; the workspace role is read under a share lock, so
/// a concurrent change of it either comes first and is seen, or waits and then lowers the new
/// membership with the others.
pub async fn join_live(
    db: &Db,
    project: &Project,
    user_id: Uuid,
    role: JoinRole,
    by: Option<Uuid>,
    now: DateTime<Utc>,
    on_archived: OnArchived,
) -> Result<Joined, DbErr> {
    let txn = db.begin().await?;
    match lock_for_member_change(&txn, project.workspace_id, project.id, on_archived).await? {
        Ok(()) => {}
        Err(Closed::Archived) => return Ok(Joined::Archived),
        Err(Closed::Gone) => return Ok(Joined::ProjectGone),
    }
    let workspace_role =
        super::workspace_members::role_held(&txn, project.workspace_id, user_id).await?;
    let Some(workspace_role) = workspace_role else {
        return Ok(Joined::NotInWorkspace);
    };
    let role = match role {
        JoinRole::OfWorkspace => workspace_role,
        JoinRole::AtMost(role) if role > workspace_role => return Ok(Joined::RoleTooHigh),
        JoinRole::AtMost(role) => role,
    };
    let already = member::Entity::find()
        .filter(member::Column::ProjectId.eq(project.id))
        .filter(member::Column::MemberId.eq(user_id))
        .filter(member::Column::IsActive.eq(true))
        .filter(member::Column::DeletedAt.is_null())
        .one(&txn)
        .await?;
    if already.is_some() {
        return Ok(Joined::AlreadyMember);
    }
    let member = join(&txn, project, user_id, role, by, now).await?;
    txn.commit().await?;
    Ok(Joined::Done(Box::new(member)))
}

/// Makes the user an active member with `role`, reviving an earlier membership if any.
pub async fn join<C: ConnectionTrait>(
    conn: &C,
    project: &Project,
    user_id: Uuid,
    role: i16,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<ProjectMember, DbErr> {
    let existing = member::Entity::find()
        .filter(member::Column::ProjectId.eq(project.id))
        .filter(member::Column::MemberId.eq(user_id))
        .one(conn)
        .await?;
    if let Some(row) = existing {
        let mut active = row.into_active_model();
        active.is_active = Set(true);
        active.role = Set(role);
        active.deleted_at = Set(None);
        active.updated_at = Set(now);
        active.updated_by = Set(by);
        return member::Entity::update(active).exec(conn).await;
    }
    let sort_order = first_place(conn, project.workspace_id, user_id).await?;
    member::Entity::insert(member::ActiveModel {
        id: Set(Uuid::now_v7()),
        workspace_id: Set(project.workspace_id),
        project_id: Set(project.id),
        member_id: Set(user_id),
        role: Set(role),
        is_active: Set(true),
        comment: Set(None),
        sort_order: Set(sort_order),
        view_props: Set(None),
        preferences: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        created_by: Set(by),
        updated_by: Set(None),
    })
    .exec_with_returning(conn)
    .await
}

/// The project's memberships (active or not) with their users, newest account first (Plane
/// lists them as `User` rows, in their order); and the total.
pub async fn list(
    db: &Db,
    project_id: Uuid,
    filter: &MemberFilter,
    page: Option<(u64, u64)>,
) -> Result<(Vec<(ProjectMember, User)>, u64), DbErr> {
    let mut query = member::Entity::find()
        .find_also_related(user::Entity)
        .filter(member::Column::ProjectId.eq(project_id))
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
    // Newest account first: Plane lists a project's members as `User` rows, in their ordering.
    let mut query = query
        .order_by_desc(user::Column::CreatedAt)
        .order_by_desc(user::Column::Id);
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

/// One membership, by its own id or by the member's user id.
pub async fn find(
    db: &Db,
    project_id: Uuid,
    id: Uuid,
) -> Result<Option<(ProjectMember, User)>, DbErr> {
    let row = member::Entity::find()
        .find_also_related(user::Entity)
        .filter(member::Column::ProjectId.eq(project_id))
        .filter(member::Column::DeletedAt.is_null())
        .filter(
            Condition::any()
                .add(member::Column::Id.eq(id))
                .add(member::Column::MemberId.eq(id)),
        )
        .one(&db.conn)
        .await?;
    Ok(row.and_then(|(m, u)| u.map(|u| (m, u))))
}

/// Any membership row of the user in the project, active or not.
pub async fn any(db: &Db, project_id: Uuid, user_id: Uuid) -> Result<Option<ProjectMember>, DbErr> {
    member::Entity::find()
        .filter(member::Column::ProjectId.eq(project_id))
        .filter(member::Column::MemberId.eq(user_id))
        .filter(member::Column::DeletedAt.is_null())
        .one(&db.conn)
        .await
}

/// The user's active membership of the project.
pub async fn active(
    db: &Db,
    project_id: Uuid,
    user_id: Uuid,
) -> Result<Option<ProjectMember>, DbErr> {
    member::Entity::find()
        .filter(member::Column::ProjectId.eq(project_id))
        .filter(member::Column::MemberId.eq(user_id))
        .filter(member::Column::IsActive.eq(true))
        .filter(member::Column::DeletedAt.is_null())
        .one(&db.conn)
        .await
}

/// Active members (bots excluded) of the project.
pub async fn count_active(db: &Db, project_id: Uuid) -> Result<u64, DbErr> {
    member::Entity::find()
        .inner_join(user::Entity)
        .filter(member::Column::ProjectId.eq(project_id))
        .filter(member::Column::IsActive.eq(true))
        .filter(member::Column::DeletedAt.is_null())
        .filter(user::Column::IsBot.eq(false))
        .count(&db.conn)
        .await
}

/// A change to an active membership.
#[derive(Debug, Clone, Copy)]
pub enum MemberChange {
    Role(i16),
    End,
}

pub enum Changed {
    Done(Box<ProjectMember>),
    /// It would leave the project without an active admin; nothing was written.
    LastAdmin,
    /// The membership (or its project) is no longer live.
    Gone,
    /// The new role is above the member's workspace role (or they left the workspace).
    RoleTooHigh,
    /// The project was archived meanwhile (and the change is not one allowed then).
    Archived,
}

/// Applies `change` to the membership unless the project would be left without an active
/// admin. Checked and written in one transaction with the project's row locked, so two admins
/// stepping down at the same moment cannot both pass the check.
pub async fn change_keeping_an_admin(
    db: &Db,
    row: &ProjectMember,
    change: MemberChange,
    by: Uuid,
    now: DateTime<Utc>,
    on_archived: OnArchived,
) -> Result<Changed, DbErr> {
    let txn = db.begin().await?;
    match lock_for_member_change(&txn, row.workspace_id, row.project_id, on_archived).await? {
        Ok(()) => {}
        Err(Closed::Archived) => return Ok(Changed::Archived),
        Err(Closed::Gone) => return Ok(Changed::Gone),
    }
    // Read under the lock: another change may have committed since `row` was read.
    let Some(row) = member::Entity::find_by_id(row.id)
        .filter(member::Column::IsActive.eq(true))
        .filter(member::Column::DeletedAt.is_null())
        .one(&txn)
        .await?
    else {
        return Ok(Changed::Gone);
    };
    if let MemberChange::Role(role) = change {
        // Under a share lock, as `join_live` reads it: a concurrent change of the workspace
        // role either came first and is seen here, or waits and then lowers this one too.
        let workspace_role =
            super::workspace_members::role_held(&txn, row.workspace_id, row.member_id).await?;
        if workspace_role.is_none_or(|workspace_role| role > workspace_role) {
            return Ok(Changed::RoleTooHigh);
        }
    }
    let stays_admin = matches!(change, MemberChange::Role(role) if role >= 20);
    if row.role >= 20 && !stays_admin {
        let other_admins = member::Entity::find()
            .filter(member::Column::ProjectId.eq(row.project_id))
            .filter(member::Column::Id.ne(row.id))
            .filter(member::Column::IsActive.eq(true))
            .filter(member::Column::DeletedAt.is_null())
            .filter(member::Column::Role.gte(20))
            .count(&txn)
            .await?;
        if other_admins == 0 {
            return Ok(Changed::LastAdmin);
        }
    }
    let mut active = row.into_active_model();
    match change {
        MemberChange::Role(role) => active.role = Set(role),
        MemberChange::End => active.is_active = Set(false),
    }
    active.updated_at = Set(now);
    active.updated_by = Set(Some(by));
    let changed = member::Entity::update(active).exec(&txn).await?;
    txn.commit().await?;
    Ok(Changed::Done(Box::new(changed)))
}
