//! Workspace invitations: Plane's v1 routes for workspace admins
//! (`/api/v1/workspaces/{slug}/invitations/`), which here also mail the invitee, and the web
//! UI's routes to read and answer one (`/api/workspace-invitations/…`,
//! `/api/users/me/workspace-invitations/`).

use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    Tag,
    authn::CallerSlot,
    error::ApiError,
    input::{PlaneBody, Text},
    json::Timestamp,
    shape::{Shape, Shaped},
    users::Deleted,
    workspaces::{read_role, user_of},
};
use crate::{
    app::AppState,
    db::{self, invitations::Invitation, workspaces::Workspace},
    domain::{
        access::{Action, Role},
        invitations::{self as rules, Answerer, InvitationDraft},
        problem::Problem,
        workspaces,
    },
};

/// An invitation, as Plane's v1 `WorkspaceInviteSerializer` writes it.
#[derive(Debug, Clone, Object)]
pub struct InvitationView {
    pub id: Uuid,
    pub email: String,
    /// 20 admin, 15 member, 5 guest.
    pub role: i16,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub responded_at: Option<Timestamp>,
    pub accepted: bool,
}

impl InvitationView {
    fn new(i: &Invitation) -> InvitationView {
        InvitationView {
            id: i.id,
            email: i.email.clone(),
            role: i.role,
            created_at: i.created_at.into(),
            updated_at: i.updated_at.into(),
            responded_at: i.responded_at.map(Into::into),
            accepted: i.accepted,
        }
    }
}

/// What the invitee sees before answering.
#[derive(Debug, Clone, Object)]
pub struct InvitationPreview {
    pub id: Uuid,
    pub email: String,
    pub role: i16,
    pub accepted: bool,
    pub responded_at: Option<Timestamp>,
    pub workspace: WorkspaceLite,
    /// Who sent it (display name).
    pub invited_by: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct WorkspaceLite {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
}

impl WorkspaceLite {
    fn new(w: &Workspace) -> WorkspaceLite {
        WorkspaceLite {
            id: w.id,
            name: w.name.clone(),
            slug: w.slug.clone(),
        }
    }
}

#[derive(Debug, Object)]
pub struct InvitationCreate {
    pub email: String,
    /// 20 admin, 15 member, 5 guest (the default).
    pub role: Option<i16>,
    /// A note included in the mail.
    pub message: Option<String>,
}

#[derive(Debug, Object)]
pub struct InvitationRoleUpdate {
    pub role: i16,
}

#[derive(Debug, Object)]
pub struct InvitationAnswer {
    /// The token from the mailed link; not needed when signed in as the invited address.
    pub token: Option<String>,
    pub accepted: bool,
}

#[derive(Debug, Object)]
pub struct InvitationAnswered {
    pub message: String,
    pub workspace: WorkspaceLite,
}

#[derive(ApiResponse)]
pub enum CreatedInvitation {
    #[oai(status = 201)]
    Created(Shaped<InvitationView>),
}

fn render<T: poem_openapi::types::ToJSON>(item: &T) -> Value {
    Shape::default().render(item)
}

/// Plane's invitation routes are a DRF ViewSet, whose 404 is worded as its own.
fn viewset_error(problem: Problem) -> ApiError {
    match problem {
        Problem::NotFound => ApiError::object_not_found(),
        other => other.into(),
    }
}

async fn find(state: &AppState, workspace_id: Uuid, id: Uuid) -> Result<Invitation, ApiError> {
    db::invitations::get(state.db(), workspace_id, id)
        .await?
        .ok_or_else(ApiError::object_not_found)
}

pub struct InvitationsApi;

#[OpenApi(tag = "Tag::Workspaces")]
impl InvitationsApi {
    /// The workspace's invitations (workspace admins), newest first.
    #[oai(path = "/api/v1/workspaces/:slug/invitations/", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
    ) -> Result<Shaped<Vec<InvitationView>>, ApiError> {
        let user = user_of(&caller)?;
        let joined =
            workspaces::enter(state.db(), &slug, user.id, Action::ManageInvitations).await?;
        let list = db::invitations::list(state.db(), joined.workspace.id).await?;
        Ok(Shaped::new(Value::Array(
            list.iter()
                .map(|i| render(&InvitationView::new(i)))
                .collect(),
        )))
    }

    /// Invites an email address with a role, and mails the invitation link (workspace admins).
    #[oai(path = "/api/v1/workspaces/:slug/invitations/", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        body: PlaneBody<InvitationCreate>,
    ) -> Result<CreatedInvitation, ApiError> {
        let user = user_of(&caller)?;
        let joined =
            workspaces::enter(state.db(), &slug, user.id, Action::ManageInvitations).await?;
        let mut input = body.input()?;
        input.require(&["email"]);
        let email = input.text("email", Text::max(255));
        let role = if input.has("role") {
            read_role(&mut input)
        } else {
            Some(Role::Guest)
        };
        let message = input.nullable_text("message", Text::blank_ok(2000));
        input.finish()?;
        let (Some(email), Some(role)) = (email, role) else {
            return Err(ApiError::field("email", "Invalid email address"));
        };
        let draft = InvitationDraft {
            email,
            role,
            message: message.flatten(),
        };
        let invitation = rules::invite(&state, &joined.workspace, user, draft).await?;
        Ok(CreatedInvitation::Created(Shaped::new(render(
            &InvitationView::new(&invitation),
        ))))
    }

    /// One invitation (workspace admins).
    #[oai(
        path = "/api/v1/workspaces/:slug/invitations/:invitation_id/",
        method = "get"
    )]
    async fn get(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        invitation_id: Path<Uuid>,
    ) -> Result<Shaped<InvitationView>, ApiError> {
        let user = user_of(&caller)?;
        let joined =
            workspaces::enter(state.db(), &slug, user.id, Action::ManageInvitations).await?;
        let invitation = find(&state, joined.workspace.id, invitation_id.0).await?;
        Ok(Shaped::new(render(&InvitationView::new(&invitation))))
    }

    /// Changes the invited role; the email cannot change (workspace admins).
    #[oai(
        path = "/api/v1/workspaces/:slug/invitations/:invitation_id/",
        method = "patch"
    )]
    async fn update(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        invitation_id: Path<Uuid>,
        body: PlaneBody<InvitationRoleUpdate>,
    ) -> Result<Shaped<InvitationView>, ApiError> {
        let user = user_of(&caller)?;
        let joined =
            workspaces::enter(state.db(), &slug, user.id, Action::ManageInvitations).await?;
        let invitation = find(&state, joined.workspace.id, invitation_id.0).await?;
        let mut input = body.input()?;
        if input.raw("email").is_some_and(|v| !v.is_null() && v != "") {
            return Err(ApiError::Body {
                status: poem::http::StatusCode::BAD_REQUEST,
                body: json!({"error": "Email cannot be updated after invite is created.", "code": "EMAIL_CANNOT_BE_UPDATED"}),
            });
        }
        let role = if input.has("role") {
            read_role(&mut input)
        } else {
            None
        };
        input.finish()?;
        let invitation = match role {
            Some(role) => crate::domain::invitations::change_role(
                state.db(),
                invitation,
                role.code(),
                user.id,
            )
            .await
            .map_err(viewset_error)?,
            None => invitation,
        };
        Ok(Shaped::new(render(&InvitationView::new(&invitation))))
    }

    /// Withdraws an invitation that has not been answered (workspace admins).
    #[oai(
        path = "/api/v1/workspaces/:slug/invitations/:invitation_id/",
        method = "delete"
    )]
    async fn delete(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        invitation_id: Path<Uuid>,
    ) -> Result<Deleted, ApiError> {
        let user = user_of(&caller)?;
        let joined =
            workspaces::enter(state.db(), &slug, user.id, Action::ManageInvitations).await?;
        let invitation = find(&state, joined.workspace.id, invitation_id.0).await?;
        rules::withdraw(state.db(), invitation, user.id)
            .await
            .map_err(viewset_error)?;
        Ok(Deleted::Done)
    }

    /// The invitation behind a mailed link (no sign-in needed: the token proves it), or one
    /// addressed to the signed-in user.
    #[oai(path = "/api/workspace-invitations/:invitation_id/", method = "get")]
    async fn preview(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        invitation_id: Path<Uuid>,
        token: Query<Option<String>>,
    ) -> Result<Shaped<InvitationPreview>, ApiError> {
        let user = caller.0.0.as_ref().map(|c| &c.user);
        let answerer = Answerer::new(token.as_deref(), user);
        let (invitation, workspace) = rules::open(state.db(), invitation_id.0, answerer).await?;
        let invited_by = match invitation.created_by {
            Some(id) => db::users::by_id(state.db(), id)
                .await?
                .map(|u| rules::inviter_name(&u)),
            None => None,
        };
        Ok(Shaped::new(render(&InvitationPreview {
            id: invitation.id,
            email: invitation.email.clone(),
            role: invitation.role,
            accepted: invitation.accepted,
            responded_at: invitation.responded_at.map(Into::into),
            workspace: WorkspaceLite::new(&workspace),
            invited_by,
        })))
    }

    /// Accepts or declines. Declining needs the link's token; accepting also needs being signed
    /// in as the invited address (then the token is optional).
    #[oai(
        path = "/api/workspace-invitations/:invitation_id/join/",
        method = "post"
    )]
    async fn answer(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        invitation_id: Path<Uuid>,
        body: PlaneBody<InvitationAnswer>,
    ) -> Result<Shaped<InvitationAnswered>, ApiError> {
        let mut input = body.input()?;
        input.require(&["accepted"]);
        let token = input.nullable_text("token", Text::blank_ok(256)).flatten();
        let accepted = input.boolean("accepted");
        input.finish()?;
        let accepted = accepted.unwrap_or(false);
        let user = caller.0.0.as_ref().map(|c| &c.user);
        let answerer = Answerer::new(token.as_deref(), user);
        let workspace = rules::respond(state.db(), invitation_id.0, answerer, accepted).await?;
        let message = if accepted {
            "Workspace Invitation Accepted"
        } else {
            "Workspace Invitation was not accepted"
        };
        Ok(Shaped::new(render(&InvitationAnswered {
            message: message.into(),
            workspace: WorkspaceLite::new(&workspace),
        })))
    }

    /// Invitations to the signed-in user's address not answered yet.
    #[oai(path = "/api/users/me/workspace-invitations/", method = "get")]
    async fn mine(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
    ) -> Result<Shaped<Vec<InvitationPreview>>, ApiError> {
        let user = caller.0.0.as_ref().map(|c| &c.user);
        let rows = rules::mine(state.db(), user).await?;
        // The inviters in one query: how many invitations an address has is up to others.
        let inviter_ids: Vec<Uuid> = rows.iter().filter_map(|(i, _)| i.created_by).collect();
        let inviters: std::collections::HashMap<Uuid, String> =
            db::users::by_ids(state.db(), &inviter_ids)
                .await?
                .iter()
                .map(|u| (u.id, rules::inviter_name(u)))
                .collect();
        let mut list = Vec::with_capacity(rows.len());
        for (invitation, workspace) in rows {
            let invited_by = invitation
                .created_by
                .and_then(|id| inviters.get(&id).cloned());
            list.push(render(&InvitationPreview {
                id: invitation.id,
                email: invitation.email.clone(),
                role: invitation.role,
                accepted: invitation.accepted,
                responded_at: invitation.responded_at.map(Into::into),
                workspace: WorkspaceLite::new(&workspace),
                invited_by,
            }));
        }
        Ok(Shaped::new(Value::Array(list)))
    }
}
