//! Queries on `states`. The triage state exists in every project but is never listed (Plane
//! keeps it for the intake queue).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, DbErr, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::{Db, entities::state, is_unique_violation, is_unique_violation_of, projects::Closed};

pub use state::Model as State;

/// The five groups a client may use; `triage` is the system's.
pub const GROUPS: [&str; 5] = ["backlog", "unstarted", "started", "completed", "cancelled"];

fn visible(project_id: Uuid) -> sea_orm::Select<state::Entity> {
    state::Entity::find()
        .filter(state::Column::ProjectId.eq(project_id))
        .filter(state::Column::DeletedAt.is_null())
        .filter(state::Column::IsTriage.eq(false))
}

/// One page of the project's states by sequence; and how many there are.
pub async fn page(
    db: &Db,
    project_id: Uuid,
    offset: u64,
    limit: u64,
) -> Result<(Vec<State>, u64), DbErr> {
    let found = db
        .memos
        .state_pages
        .get_or_load(db, (project_id, offset, limit), || async {
            let total = visible(project_id).count(&db.conn).await?;
            let rows = visible(project_id)
                .order_by_asc(state::Column::Sequence)
                .order_by_asc(state::Column::Id)
                .offset(offset)
                .limit(limit)
                .all(&db.conn)
                .await?;
            Ok::<_, DbErr>((rows, total))
        })
        .await?;
    Ok((*found).clone())
}

pub async fn get(db: &Db, project_id: Uuid, id: Uuid) -> Result<Option<State>, DbErr> {
    visible(project_id)
        .filter(state::Column::Id.eq(id))
        .one(&db.conn)
        .await
}

/// A live state of the project with this name (triage included: names are unique).
pub async fn by_name(db: &Db, project_id: Uuid, name: &str) -> Result<Option<State>, DbErr> {
    state::Entity::find()
        .filter(state::Column::ProjectId.eq(project_id))
        .filter(state::Column::DeletedAt.is_null())
        .filter(state::Column::Name.eq(name))
        .one(&db.conn)
        .await
}

/// A live state of the project imported from `(source, id)`.
pub async fn by_external(
    db: &Db,
    project_id: Uuid,
    source: &str,
    external_id: &str,
) -> Result<Option<State>, DbErr> {
    state::Entity::find()
        .filter(state::Column::ProjectId.eq(project_id))
        .filter(state::Column::DeletedAt.is_null())
        .filter(state::Column::ExternalSource.eq(source))
        .filter(state::Column::ExternalId.eq(external_id))
        .one(&db.conn)
        .await
}

/// The highest sequence among the project's live states, triage aside (as Plane's default
/// manager counts them).
pub async fn max_sequence(db: &Db, project_id: Uuid) -> Result<Option<f64>, DbErr> {
    let max: Option<Option<f64>> = state::Entity::find()
        .select_only()
        .column_as(Expr::col(state::Column::Sequence).max(), "max")
        .filter(state::Column::ProjectId.eq(project_id))
        .filter(state::Column::DeletedAt.is_null())
        .filter(state::Column::IsTriage.eq(false))
        .into_tuple()
        .one(&db.conn)
        .await?;
    Ok(max.flatten())
}

#[derive(Debug, thiserror::Error)]
pub enum SaveStateError {
    #[error("the name is taken")]
    NameTaken,
    /// Another live row of the project has the external reference (a concurrent request won).
    #[error("the external reference is taken")]
    ExternalTaken,
    /// The state (or its project) was deleted meanwhile.
    #[error("the state is gone")]
    Gone,
    /// The project was archived meanwhile.
    #[error("the project is archived")]
    Archived,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<Closed> for SaveStateError {
    fn from(closed: Closed) -> Self {
        match closed {
            Closed::Gone => SaveStateError::Gone,
            Closed::Archived => SaveStateError::Archived,
        }
    }
}

fn clash(e: DbErr) -> SaveStateError {
    if is_unique_violation_of(&e, "external") {
        SaveStateError::ExternalTaken
    } else if is_unique_violation(&e) {
        SaveStateError::NameTaken
    } else {
        SaveStateError::Db(e)
    }
}

/// Inserts the state, with the project held against deletion and archiving (locked, when the
/// state is the default: the project's other states stop being it). `Gone` or `Archived` when
/// the project went or was archived meanwhile.
pub async fn create(
    db: &Db,
    row: state::ActiveModel,
    project_id: Uuid,
    default: bool,
) -> Result<State, SaveStateError> {
    let txn = db.begin().await?;
    if default {
        take_default(&txn, project_id, None).await?;
    } else {
        super::projects::hold_open(&txn, project_id).await??;
    }
    let state = state::Entity::insert(row)
        .exec_with_returning(&txn)
        .await
        .map_err(clash)?;
    txn.commit().await?;
    Ok(state)
}

/// Makes `except` (a state being created when `None`) the project's only default. The
/// project's row is locked first, as [`delete`] does, so a state cannot be deleted while it
/// becomes the default; an existing state must still be live then.
async fn take_default<C: sea_orm::ConnectionTrait>(
    conn: &C,
    project_id: Uuid,
    except: Option<Uuid>,
) -> Result<(), SaveStateError> {
    super::projects::lock_open(conn, project_id).await??;
    if let Some(id) = except
        && !usable(conn, project_id, id).await?
    {
        return Err(SaveStateError::Gone);
    }
    let mut update = state::Entity::update_many()
        .col_expr(state::Column::Default, Expr::value(false))
        .filter(state::Column::ProjectId.eq(project_id))
        .filter(state::Column::Default.eq(true));
    if let Some(id) = except {
        update = update.filter(state::Column::Id.ne(id));
    }
    update.exec(conn).await?;
    Ok(())
}

/// Applies `change`; a state made the default is the project's only default.
pub async fn save(
    db: &Db,
    row: State,
    by: Uuid,
    now: DateTime<Utc>,
    change: impl FnOnce(&mut state::ActiveModel),
) -> Result<State, SaveStateError> {
    let txn = db.begin().await?;
    let (id, project_id) = (row.id, row.project_id);
    let mut active = row.into_active_model();
    change(&mut active);
    if matches!(active.default, sea_orm::ActiveValue::Set(true)) {
        take_default(&txn, project_id, Some(id)).await?;
    } else {
        super::projects::hold_open(&txn, project_id).await??;
    }
    active.updated_at = Set(now);
    active.updated_by = Set(Some(by));
    let state = state::Entity::update(active)
        .validate()?
        .filter(state::Column::DeletedAt.is_null())
        .exec(&txn)
        .await
        .map_err(|e| match e {
            // Deleted meanwhile (the state, or its project with it).
            DbErr::RecordNotUpdated => SaveStateError::Gone,
            e => clash(e),
        })?;
    txn.commit().await?;
    Ok(state)
}

/// What became of a request to delete a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletion {
    Deleted,
    /// The state is the project's default (its `default` flag, or the project's
    /// `default_state`): it stays.
    IsDefault,
    /// A live work item is in the state: only empty states can be deleted.
    InUse,
    /// The state (or its project) was deleted meanwhile.
    Gone,
    /// The project was archived meanwhile.
    Archived,
}

/// Soft-deletes the state unless it is the project's default (its flag, or the project's
/// `default_state`) or holds a live work item. The project's row is locked first (Postgres;
/// SQLite's write transaction holds the whole database), as changing the project's default state
/// does, so a concurrent change cannot make the state the default between the check and the
/// delete; writes that put a work item in a state hold the project too ([`super::projects::hold`]),
/// so none lands in the state between the check and the delete.
pub async fn delete(
    db: &Db,
    project_id: Uuid,
    id: Uuid,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<Deletion, DbErr> {
    let txn = db.begin().await?;
    let project = match super::projects::lock_open(&txn, project_id).await? {
        Ok(project) => project,
        Err(Closed::Gone) => return Ok(Deletion::Gone),
        Err(Closed::Archived) => return Ok(Deletion::Archived),
    };
    let row = visible(project_id)
        .filter(state::Column::Id.eq(id))
        .one(&txn)
        .await?;
    let Some(row) = row else {
        return Ok(Deletion::Gone);
    };
    if row.default || project.default_state_id == Some(id) {
        return Ok(Deletion::IsDefault);
    }
    if super::work_items::any_in_state(&txn, id).await? {
        return Ok(Deletion::InUse);
    }
    let mut active = row.into_active_model();
    active.deleted_at = Set(Some(now));
    active.updated_at = Set(now);
    active.updated_by = Set(Some(by));
    state::Entity::update(active).exec(&txn).await?;
    txn.commit().await?;
    Ok(Deletion::Deleted)
}

/// Visible states of the project.
pub async fn count(db: &Db, project_id: Uuid) -> Result<u64, DbErr> {
    visible(project_id).count(&db.conn).await
}

/// A live state of the project that is not triage (for `default_state`).
pub async fn usable<C: sea_orm::ConnectionTrait>(
    conn: &C,
    project_id: Uuid,
    id: Uuid,
) -> Result<bool, DbErr> {
    Ok(visible(project_id)
        .filter(state::Column::Id.eq(id))
        .one(conn)
        .await?
        .is_some())
}
