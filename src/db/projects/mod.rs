//! Queries on `projects`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, JoinType,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait,
    sea_query::{DynIden, Expr, ExprTrait, IntoIden, LockType, NullOrdering, Order, Query},
};
use uuid::Uuid;

use super::{
    Db,
    entities::{project, project_member, user},
    project_members::ProjectMember,
};

pub use project::Model as Project;

mod create;

pub use create::{DEFAULT_STATES, Features, NewProject, ProjectClash, clash, create};

/// A live project of the workspace.
pub async fn in_workspace(db: &Db, workspace_id: Uuid, id: Uuid) -> Result<Option<Project>, DbErr> {
    project::Entity::find()
        .filter(project::Column::Id.eq(id))
        .filter(project::Column::WorkspaceId.eq(workspace_id))
        .filter(project::Column::DeletedAt.is_null())
        .one(&db.conn)
        .await
}

/// A row of `memberships` (the `project_members` table, or an alias of it) is the user's active
/// membership.
fn active_membership(memberships: DynIden, user_id: Uuid) -> Condition {
    Condition::all()
        .add(Expr::col((memberships.clone(), project_member::Column::MemberId)).eq(user_id))
        .add(Expr::col((memberships.clone(), project_member::Column::IsActive)).eq(true))
        .add(Expr::col((memberships, project_member::Column::DeletedAt)).is_null())
}

/// Joins a project to the user's active membership of it.
fn active_membership_of(user_id: Uuid) -> sea_orm::RelationDef {
    project::Relation::Members
        .def()
        .on_condition(move |_left, right| active_membership(right, user_id))
}

/// The workspace's live projects (archived ones too when `include_archived`).
fn of_workspace(workspace_id: Uuid, include_archived: bool) -> sea_orm::Select<project::Entity> {
    let query = project::Entity::find()
        .filter(project::Column::WorkspaceId.eq(workspace_id))
        .filter(project::Column::DeletedAt.is_null());
    if include_archived {
        query
    } else {
        query.filter(project::Column::ArchivedAt.is_null())
    }
}

/// A live project of the workspace with the user's active membership, in one query.
pub async fn with_membership(
    db: &Db,
    workspace_id: Uuid,
    id: Uuid,
    user_id: Uuid,
) -> Result<Option<(Project, Option<ProjectMember>)>, DbErr> {
    let found = db
        .memos
        .project_entries
        .get_or_load(db, (workspace_id, id, user_id), || {
            load_with_membership(db, workspace_id, id, user_id)
        })
        .await?;
    Ok((*found).clone())
}

async fn load_with_membership(
    db: &Db,
    workspace_id: Uuid,
    id: Uuid,
    user_id: Uuid,
) -> Result<Option<(Project, Option<ProjectMember>)>, DbErr> {
    let theirs = active_membership_of(user_id);
    project::Entity::find()
        .join(JoinType::LeftJoin, theirs)
        .filter(project::Column::Id.eq(id))
        .filter(project::Column::WorkspaceId.eq(workspace_id))
        .filter(project::Column::DeletedAt.is_null())
        .select_also(project_member::Entity)
        .one(&db.conn)
        .await
}

pub async fn by_ids(db: &Db, ids: &[Uuid]) -> Result<Vec<Project>, DbErr> {
    project::Entity::find()
        .filter(project::Column::Id.is_in(ids.iter().copied()))
        .filter(project::Column::DeletedAt.is_null())
        .all(&db.conn)
        .await
}

/// Plane's `network` of a public project (secret: 0): every workspace member sees it.
pub const NETWORK_PUBLIC: i16 = 2;

/// How a project list is ordered (`order_by`): a field, either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProjectOrder {
    pub field: ProjectOrderField,
    pub descending: bool,
}

/// The fields a project list can be ordered by: Plane takes any of its model's; these are the
/// project's own columns a client can see (plus the caller's `sort_order`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProjectOrderField {
    /// The caller's own order of their projects (none for public projects they are not in).
    SortOrder,
    Name,
    Identifier,
    CreatedAt,
    UpdatedAt,
    ArchivedAt,
    Network,
    Id,
}

impl ProjectOrder {
    /// Plane's default: the caller's own order.
    pub const DEFAULT: ProjectOrder = ProjectOrder {
        field: ProjectOrderField::SortOrder,
        descending: false,
    };

    pub fn parse(text: &str) -> Option<ProjectOrder> {
        let (descending, field) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let field = match field {
            "sort_order" => ProjectOrderField::SortOrder,
            "name" => ProjectOrderField::Name,
            "identifier" => ProjectOrderField::Identifier,
            "created_at" => ProjectOrderField::CreatedAt,
            "updated_at" => ProjectOrderField::UpdatedAt,
            "archived_at" => ProjectOrderField::ArchivedAt,
            "network" => ProjectOrderField::Network,
            "id" => ProjectOrderField::Id,
            _ => return None,
        };
        Some(ProjectOrder { field, descending })
    }
}

/// Which projects of a workspace a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Visibility {
    pub user_id: Uuid,
    /// Public projects the user is not a member of are listed too.
    pub include_public: bool,
    pub include_archived: bool,
}

/// One page of the projects the user sees, with their own membership; how many there are;
/// and each listed project's member count.
pub async fn listing(
    db: &Db,
    workspace_id: Uuid,
    visibility: Visibility,
    order: ProjectOrder,
    offset: u64,
    limit: u64,
) -> Result<super::memo::ProjectList, DbErr> {
    let key = (workspace_id, visibility, order, offset, limit);
    let found = db
        .memos
        .project_lists
        .get_or_load(db, key, || async {
            let (rows, total) = visible(db, workspace_id, visibility, order, offset, limit).await?;
            let ids: Vec<Uuid> = rows.iter().map(|(p, _)| p.id).collect();
            let counts = member_counts(db, &ids).await?;
            Ok::<_, DbErr>((rows, total, counts))
        })
        .await?;
    Ok((*found).clone())
}

/// The projects the user sees, with their own membership; and how many there are.
pub async fn visible(
    db: &Db,
    workspace_id: Uuid,
    visibility: Visibility,
    order: ProjectOrder,
    offset: u64,
    limit: u64,
) -> Result<(Vec<(Project, Option<ProjectMember>)>, u64), DbErr> {
    let user_id = visibility.user_id;
    let mine = active_membership_of(user_id);
    let mut seen = Condition::any().add(project_member::Column::Id.is_not_null());
    if visibility.include_public {
        seen = seen.add(project::Column::Network.eq(NETWORK_PUBLIC));
    }
    let query = of_workspace(workspace_id, visibility.include_archived)
        .join(JoinType::LeftJoin, mine)
        .filter(seen);
    let total = count_visible(db, workspace_id, visibility).await?;
    // Where NULLs go as Postgres (Plane's database) puts them: last going up, first going down.
    let (direction, nulls) = if order.descending {
        (Order::Desc, NullOrdering::First)
    } else {
        (Order::Asc, NullOrdering::Last)
    };
    let query = match order.field {
        ProjectOrderField::SortOrder => {
            query.order_by_with_nulls(project_member::Column::SortOrder, direction, nulls)
        }
        ProjectOrderField::Name => query.order_by(project::Column::Name, direction),
        ProjectOrderField::Identifier => query.order_by(project::Column::Identifier, direction),
        ProjectOrderField::CreatedAt => query.order_by(project::Column::CreatedAt, direction),
        ProjectOrderField::UpdatedAt => query.order_by(project::Column::UpdatedAt, direction),
        ProjectOrderField::ArchivedAt => {
            query.order_by_with_nulls(project::Column::ArchivedAt, direction, nulls)
        }
        ProjectOrderField::Network => query.order_by(project::Column::Network, direction),
        ProjectOrderField::Id => query.order_by(project::Column::Id, direction),
    };
    // Sorting every visible row whole would carry all their columns through the sort; the ids
    // alone are sorted and paged, then the page's rows fetched.
    let ids: Vec<Uuid> = query
        .order_by_asc(project::Column::CreatedAt)
        .order_by_asc(project::Column::Id)
        .select_only()
        .column(project::Column::Id)
        .offset(offset)
        .limit(limit)
        .into_tuple()
        .all(&db.conn)
        .await?;
    if ids.is_empty() {
        return Ok((Vec::new(), total));
    }
    // The page's rows and the user's memberships in them, as two plain selects: a joined
    // select names its columns with prefixes, which sea-orm formats anew for every value read.
    let mut rows: HashMap<Uuid, Project> = project::Entity::find()
        .filter(project::Column::Id.is_in(ids.iter().copied()))
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect();
    let mut memberships: HashMap<Uuid, ProjectMember> = project_member::Entity::find()
        .filter(project_member::Column::ProjectId.is_in(ids.iter().copied()))
        .filter(active_membership(
            project_member::Entity.into_iden(),
            user_id,
        ))
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|m| (m.project_id, m))
        .collect();
    let page = ids
        .iter()
        .filter_map(|id| rows.remove(id).map(|p| (p, memberships.remove(id))))
        .collect();
    Ok((page, total))
}

/// How many projects [`visible`] finds. Public projects count without a look at the
/// memberships: the membership is sought (`EXISTS`, after the `OR`'s first arm) only for the
/// secret ones, where the listing's join would seek it for every row.
async fn count_visible(db: &Db, workspace_id: Uuid, visibility: Visibility) -> Result<u64, DbErr> {
    let member = Query::select()
        .expr(Expr::val(1))
        .from(project_member::Entity)
        .and_where(
            Expr::col((project_member::Entity, project_member::Column::ProjectId))
                .equals((project::Entity, project::Column::Id)),
        )
        .cond_where(active_membership(
            project_member::Entity.into_iden(),
            visibility.user_id,
        ))
        .to_owned();
    let mut seen = Condition::any();
    if visibility.include_public {
        seen = seen.add(project::Column::Network.eq(NETWORK_PUBLIC));
    }
    seen = seen.add(Expr::exists(member));
    let query = of_workspace(workspace_id, visibility.include_archived).filter(seen);
    // A bare COUNT (sea-orm's count() wraps a subquery selecting every column).
    let total: Option<i64> = query
        .select_only()
        .column_as(
            Expr::col((project::Entity, project::Column::Id)).count(),
            "n",
        )
        .into_tuple()
        .one(&db.conn)
        .await?;
    Ok(total.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
}

/// Active, non-bot members per project, for the given projects.
pub async fn member_counts(db: &Db, project_ids: &[Uuid]) -> Result<HashMap<Uuid, u64>, DbErr> {
    if project_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, i64)> = project_member::Entity::find()
        .select_only()
        .column(project_member::Column::ProjectId)
        .column_as(
            Expr::col((project_member::Entity, project_member::Column::Id)).count(),
            "n",
        )
        .inner_join(user::Entity)
        .filter(project_member::Column::ProjectId.is_in(project_ids.iter().copied()))
        .filter(project_member::Column::IsActive.eq(true))
        .filter(project_member::Column::DeletedAt.is_null())
        .filter(user::Column::IsBot.eq(false))
        .group_by(project_member::Column::ProjectId)
        .into_tuple()
        .all(&db.conn)
        .await?;
    Ok(rows.into_iter().map(|(id, n)| (id, n as u64)).collect())
}

/// Applies `change` and stamps the update.
pub async fn save(
    db: &Db,
    project: Project,
    by: Uuid,
    now: DateTime<Utc>,
    change: impl FnOnce(&mut project::ActiveModel),
) -> Result<Project, DbErr> {
    let mut active = project.into_active_model();
    change(&mut active);
    active.updated_at = Set(now);
    active.updated_by = Set(Some(by));
    // Not a project deleted meanwhile: that is RecordNotUpdated, answered 404.
    project::Entity::update(active)
        .validate()?
        .filter(project::Column::DeletedAt.is_null())
        .exec(&db.conn)
        .await
}

/// The live project, its row locked until the transaction ends (Postgres `FOR NO KEY UPDATE`,
/// see [`super::workspaces::lock`]; SQLite's write transaction already holds the whole
/// database).
pub async fn lock<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<Option<Project>, DbErr> {
    live_locked(conn, id, LockType::NoKeyUpdate).await
}

async fn live_locked<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    lock: LockType,
) -> Result<Option<Project>, DbErr> {
    project::Entity::find_by_id(id)
        .filter(project::Column::DeletedAt.is_null())
        .lock(lock)
        .one(conn)
        .await
}

/// Holds the live project against deletion until the transaction ends: `FOR SHARE` on
/// Postgres, so creations in one project go side by side while a deletion (which locks the row
/// first, [`soft_delete`]) waits for them and they wait for it; SQLite's write transaction holds
/// the whole database. None when the project is gone. A row created under the hold is either
/// committed before the deletion's cascade looks, or refused.
pub async fn hold<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<Option<Project>, DbErr> {
    live_locked(conn, id, LockType::Share).await
}

/// Why a write into a project's data found it closed, with the project's row held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// Deleted meanwhile.
    Gone,
    /// Archived meanwhile: archived projects are read-only.
    Archived,
}

/// The project as a write into its data needs it: live and not archived. Archiving updates the
/// row, so once [`hold`] or [`lock`] returned it, no archive can slip in before the write
/// commits, and one made after the request's own check is seen here.
fn open_for_writes(found: Option<Project>) -> Result<Project, Closed> {
    match found {
        None => Err(Closed::Gone),
        Some(project) if project.archived_at.is_some() => Err(Closed::Archived),
        Some(project) => Ok(project),
    }
}

/// [`hold`], for a write into the project's data: the project open for writes, or why not.
pub async fn hold_open<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Result<Project, Closed>, DbErr> {
    Ok(open_for_writes(hold(conn, id).await?))
}

/// [`lock`], for a write into the project's data: the project open for writes, or why not.
pub async fn lock_open<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Result<Project, Closed>, DbErr> {
    Ok(open_for_writes(lock(conn, id).await?))
}

/// Inserts `row` (a row of the project) while [`hold`]ing the project, if it is open for writes.
pub async fn insert_held<A>(
    db: &Db,
    project_id: Uuid,
    row: A,
) -> Result<Result<<A::Entity as EntityTrait>::Model, Closed>, DbErr>
where
    A: ActiveModelTrait + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    let txn = db.begin().await?;
    if let Err(closed) = hold_open(&txn, project_id).await? {
        return Ok(Err(closed));
    }
    let inserted = <A::Entity as EntityTrait>::insert(row)
        .exec_with_returning(&txn)
        .await?;
    txn.commit().await?;
    Ok(Ok(inserted))
}

/// What became of a [`save_checked`] change; nothing is written unless `Saved`.
#[derive(Debug)]
pub enum CheckedSave {
    Saved(Box<Project>),
    /// The project was deleted or archived meanwhile (archived projects are read-only).
    Closed(Closed),
    /// The new default state is no longer a live state of the project.
    StateGone,
    /// The new estimate is no longer a live estimate of the project.
    EstimateGone,
}

/// As [`save`], for a change of an editable project: under the project's row lock (taken by
/// archiving it and by deleting a state or an estimate too), the project must still be live
/// and not archived, and a new default state or estimate still a live one of it, when the
/// change is written.
pub async fn save_checked(
    db: &Db,
    project: Project,
    by: Uuid,
    now: DateTime<Utc>,
    change: impl FnOnce(&mut project::ActiveModel),
) -> Result<CheckedSave, DbErr> {
    let txn = db.begin().await?;
    let id = project.id;
    if let Err(closed) = lock_open(&txn, id).await? {
        return Ok(CheckedSave::Closed(closed));
    }
    let mut active = project.into_active_model();
    change(&mut active);
    if let sea_orm::ActiveValue::Set(Some(state_id)) = active.default_state_id
        && !super::states::usable(&txn, id, state_id).await?
    {
        return Ok(CheckedSave::StateGone);
    }
    if let sea_orm::ActiveValue::Set(Some(estimate_id)) = active.estimate_id
        && super::estimates::get_in(&txn, id, estimate_id)
            .await?
            .is_none()
    {
        return Ok(CheckedSave::EstimateGone);
    }
    active.updated_at = Set(now);
    active.updated_by = Set(Some(by));
    let saved = project::Entity::update(active).exec(&txn).await?;
    txn.commit().await?;
    Ok(CheckedSave::Saved(Box::new(saved)))
}

/// Soft-deletes the project and everything in it. The project's row is locked first, so rows
/// being created under [`hold`] are committed before the cascade looks for them.
pub async fn soft_delete(db: &Db, id: Uuid, by: Uuid, now: DateTime<Utc>) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    lock(&txn, id).await?;
    super::workspaces::soft_delete_project(&txn, id, by, now).await?;
    txn.commit().await
}
