//! Queries on `workspace_member_invites`.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, UpdateMany,
};
use uuid::Uuid;

use super::{
    Db,
    entities::{workspace, workspace_invite as invite},
    job_outbox::OutboxEntry,
    workspaces::Workspace,
};

pub use invite::Model as Invitation;

#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub email: String,
    pub role: i16,
    pub token_hash: String,
    pub message: Option<String>,
    pub by: Uuid,
    /// The invitation's mail job, written in the same transaction.
    pub mail: Option<OutboxEntry>,
}

/// Inserts the invitation (and its mail job) with its workspace held against deletion; None
/// when it went.
pub async fn create(
    db: &Db,
    new: NewInvitation,
    now: DateTime<Utc>,
) -> Result<Option<Invitation>, DbErr> {
    let txn = db.begin().await?;
    if super::workspaces::hold(&txn, new.workspace_id)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    let invitation = invite::Entity::insert(invite::ActiveModel {
        id: Set(new.id),
        workspace_id: Set(new.workspace_id),
        email: Set(new.email),
        role: Set(new.role),
        token_hash: Set(new.token_hash),
        message: Set(new.message),
        accepted: Set(false),
        responded_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        created_by: Set(Some(new.by)),
        updated_by: Set(None),
    })
    .exec_with_returning(&txn)
    .await?;
    if let Some(mail) = new.mail {
        super::job_outbox::add(&txn, mail, now).await?;
    }
    txn.commit().await?;
    Ok(Some(invitation))
}

fn live() -> sea_orm::Select<invite::Entity> {
    invite::Entity::find().filter(invite::Column::DeletedAt.is_null())
}

/// The workspace's invitations, newest first.
pub async fn list(db: &Db, workspace_id: Uuid) -> Result<Vec<Invitation>, DbErr> {
    live()
        .filter(invite::Column::WorkspaceId.eq(workspace_id))
        .order_by_desc(invite::Column::CreatedAt)
        .all(&db.conn)
        .await
}

pub async fn get(db: &Db, workspace_id: Uuid, id: Uuid) -> Result<Option<Invitation>, DbErr> {
    live()
        .filter(invite::Column::WorkspaceId.eq(workspace_id))
        .filter(invite::Column::Id.eq(id))
        .one(&db.conn)
        .await
}

/// An invitation and its (live) workspace, by the invitation's id.
pub async fn with_workspace(db: &Db, id: Uuid) -> Result<Option<(Invitation, Workspace)>, DbErr> {
    let row = live()
        .find_also_related(workspace::Entity)
        .filter(invite::Column::Id.eq(id))
        .filter(workspace::Column::DeletedAt.is_null())
        .one(&db.conn)
        .await?;
    Ok(row.and_then(|(i, w)| w.map(|w| (i, w))))
}

/// The invitation for `email` to the workspace that has not been answered yet.
pub async fn pending(
    db: &Db,
    workspace_id: Uuid,
    email: &str,
) -> Result<Option<Invitation>, DbErr> {
    live()
        .filter(invite::Column::WorkspaceId.eq(workspace_id))
        .filter(invite::Column::Email.eq(email))
        .filter(invite::Column::RespondedAt.is_null())
        .one(&db.conn)
        .await
}

/// Unanswered invitations for `email`, with their workspaces, newest first.
pub async fn pending_for_email(
    db: &Db,
    email: &str,
) -> Result<Vec<(Invitation, Workspace)>, DbErr> {
    let rows = live()
        .find_also_related(workspace::Entity)
        .filter(invite::Column::Email.eq(email))
        .filter(invite::Column::RespondedAt.is_null())
        .filter(workspace::Column::DeletedAt.is_null())
        .order_by_desc(invite::Column::CreatedAt)
        .all(&db.conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(i, w)| w.map(|w| (i, w)))
        .collect())
}

/// Changes the role of a still unanswered invitation; `None` when it was answered or
/// withdrawn meanwhile (an acceptance joins with the role it finds, under the same condition).
pub async fn set_role(
    db: &Db,
    row: Invitation,
    role: i16,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Invitation>, DbErr> {
    let txn = db.begin().await?;
    let updated = while_pending(invite::Entity::update_many(), row.id)
        .col_expr(invite::Column::Role, role.into())
        .col_expr(invite::Column::UpdatedAt, now.into())
        .col_expr(invite::Column::UpdatedBy, Some(by).into())
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Ok(None);
    }
    let invitation = invite::Entity::find_by_id(row.id).one(&txn).await?;
    txn.commit().await?;
    Ok(invitation)
}

/// Withdraws a still unanswered invitation; false when it was answered or withdrawn meanwhile.
pub async fn delete(db: &Db, row: Invitation, by: Uuid, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let deleted = while_pending(invite::Entity::update_many(), row.id)
        .col_expr(invite::Column::DeletedAt, Some(now).into())
        .col_expr(invite::Column::UpdatedAt, now.into())
        .col_expr(invite::Column::UpdatedBy, Some(by).into())
        .exec(&db.conn)
        .await?;
    Ok(deleted.rows_affected == 1)
}

/// An update of invitation `id` that applies only while it is live and unanswered.
fn while_pending(update: UpdateMany<invite::Entity>, id: Uuid) -> UpdateMany<invite::Entity> {
    update
        .filter(invite::Column::Id.eq(id))
        .filter(invite::Column::RespondedAt.is_null())
        .filter(invite::Column::DeletedAt.is_null())
}

/// What became of an answer to an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Response {
    Recorded,
    /// The invitation was answered (or withdrawn) meanwhile.
    AlreadyAnswered,
    /// The workspace was deleted meanwhile.
    WorkspaceGone,
}

/// Records the answer; an acceptance makes `user_id` an active member with the invited role,
/// in the same transaction, with the workspace held against deletion, and deletes the
/// invitation (soft), as Plane does: an accepted invitation leaves the workspace's list. A
/// declined one stays there, answered.
pub async fn respond(
    db: &Db,
    row: &Invitation,
    accepted: bool,
    user_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Response, DbErr> {
    let txn = db.begin().await?;
    if super::workspaces::hold(&txn, row.workspace_id)
        .await?
        .is_none()
    {
        return Ok(Response::WorkspaceGone);
    }
    // Only an unanswered invitation can be answered, even when two answers race.
    let mut answer = while_pending(invite::Entity::update_many(), row.id)
        .col_expr(invite::Column::Accepted, accepted.into())
        .col_expr(invite::Column::RespondedAt, Some(now).into())
        .col_expr(invite::Column::UpdatedAt, now.into())
        .col_expr(invite::Column::UpdatedBy, user_id.into());
    if accepted {
        answer = answer.col_expr(invite::Column::DeletedAt, Some(now).into());
    }
    let updated = answer.exec(&txn).await?;
    if updated.rows_affected != 1 {
        return Ok(Response::AlreadyAnswered);
    }
    if accepted && let Some(user_id) = user_id {
        // The role as it is now that the row is answered (and locked): a change of it that
        // committed since `row` was read applies; a later one finds it answered and is refused.
        let Some(answered) = invite::Entity::find_by_id(row.id).one(&txn).await? else {
            return Ok(Response::AlreadyAnswered);
        };
        super::workspace_members::join(
            &txn,
            row.workspace_id,
            user_id,
            answered.role,
            row.created_by,
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(Response::Recorded)
}
