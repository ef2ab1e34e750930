//! Project members (Plane's §5.11): `…/projects/{pid}/members/` and its alias
//! `…/project-members/`, the paginated `project-members-lite/`, and leaving a project. A member
//! is addressed by the membership's id (as Plane) or by the user's id (what the lists show).

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
    input::PlaneBody,
    pagination::{Page, PageRequest},
    shape::{Shape, Shaped},
    users::Deleted,
    workspaces::{MemberView, member_filter, read_role, user_of},
};
use crate::{
    app::AppState,
    db::{self, project_members::ProjectMember, users::User, workspace_members::MemberFilter},
    domain::{
        access::{Action, Role},
        projects::{self as rules, InProject},
    },
};

/// A membership as Plane writes it after a change: `{id, member, role}`.
#[derive(Debug, Clone, Object)]
pub struct ProjectMemberRow {
    /// The membership's id.
    pub id: Uuid,
    /// The user's id.
    pub member: Uuid,
    pub role: i16,
}

pub fn row_json(m: &ProjectMember) -> Value {
    json!({"id": m.id, "member": m.member_id, "role": m.role})
}

#[derive(Debug, Object)]
pub struct ProjectMemberCreate {
    /// A member of the workspace.
    pub member: Uuid,
    /// 20 admin, 15 member, 5 guest (the default); at most the member's workspace role.
    pub role: Option<i16>,
}

#[derive(Debug, Object)]
pub struct ProjectMemberRoleUpdate {
    /// Left out, nothing changes.
    pub role: Option<i16>,
}

#[derive(ApiResponse)]
pub enum CreatedMember {
    #[oai(status = 201)]
    Created(Shaped<ProjectMemberRow>),
}

fn view(m: &ProjectMember, u: &User) -> Value {
    Shape::default().render(&MemberView::new(u, m.role, m.is_active))
}

async fn enter(
    state: &AppState,
    caller: &CallerSlot,
    slug: &str,
    project_id: Uuid,
    action: Action,
) -> Result<(InProject, User), ApiError> {
    let (joined, _) = super::projects::enter(state, caller, slug, project_id, action).await?;
    Ok((joined, user_of(caller)?.clone()))
}

async fn find(
    state: &AppState,
    joined: &InProject,
    id: Uuid,
) -> Result<(ProjectMember, User), ApiError> {
    db::project_members::find(state.db(), joined.project.id, id)
        .await?
        .ok_or_else(ApiError::not_found)
}

async fn list(
    state: &AppState,
    caller: &CallerSlot,
    slug: &str,
    project_id: Uuid,
    filter: MemberFilter,
) -> Result<Shaped<Vec<MemberView>>, ApiError> {
    let (joined, _) = enter(state, caller, slug, project_id, Action::ViewProjectMembers).await?;
    let (rows, _) = db::project_members::list(state.db(), joined.project.id, &filter, None).await?;
    Ok(Shaped::new(Value::Array(
        rows.iter().map(|(m, u)| view(m, u)).collect(),
    )))
}

async fn add(
    state: &AppState,
    caller: &CallerSlot,
    slug: &str,
    project_id: Uuid,
    body: PlaneBody<ProjectMemberCreate>,
) -> Result<CreatedMember, ApiError> {
    let (joined, user) = enter(
        state,
        caller,
        slug,
        project_id,
        Action::ManageProjectMembers,
    )
    .await?;
    rules::check_editable(&joined.project)?;
    let mut input = body.input()?;
    input.require(&["member"]);
    let member = input.reference("member");
    // The model's default, as DRF applies it when `role` is left out.
    let role = if input.has("role") {
        read_role(&mut input)
    } else {
        Some(Role::Guest)
    };
    input.finish()?;
    let (Some(Some(member)), Some(role)) = (member, role) else {
        return Err(ApiError::field("member", "This field may not be null."));
    };
    let row = rules::add_member(state.db(), &joined, member, role, user.id).await?;
    Ok(CreatedMember::Created(Shaped::new(row_json(&row))))
}

async fn one(
    state: &AppState,
    caller: &CallerSlot,
    slug: &str,
    project_id: Uuid,
    member_id: Uuid,
) -> Result<Shaped<MemberView>, ApiError> {
    let (joined, _) = enter(state, caller, slug, project_id, Action::ViewProjectMembers).await?;
    let (m, u) = find(state, &joined, member_id).await?;
    Ok(Shaped::new(view(&m, &u)))
}

async fn change(
    state: &AppState,
    caller: &CallerSlot,
    slug: &str,
    project_id: Uuid,
    member_id: Uuid,
    body: PlaneBody<ProjectMemberRoleUpdate>,
) -> Result<Shaped<ProjectMemberRow>, ApiError> {
    let (joined, user) = enter(
        state,
        caller,
        slug,
        project_id,
        Action::ManageProjectMembers,
    )
    .await?;
    rules::check_editable(&joined.project)?;
    let mut input = body.input()?;
    // A partial update, as Plane's: without `role` nothing changes.
    let role = read_role(&mut input);
    input.finish()?;
    let (m, _) = find(state, &joined, member_id).await?;
    let Some(role) = role else {
        return Ok(Shaped::new(row_json(&m)));
    };
    rules::check_outranks(&joined.standing, &m, false)?;
    let row = rules::change_member_role(state.db(), m, role, user.id).await?;
    Ok(Shaped::new(row_json(&row)))
}

async fn remove(
    state: &AppState,
    caller: &CallerSlot,
    slug: &str,
    project_id: Uuid,
    member_id: Uuid,
) -> Result<Deleted, ApiError> {
    let (joined, user) = enter(
        state,
        caller,
        slug,
        project_id,
        Action::ManageProjectMembers,
    )
    .await?;
    rules::check_editable(&joined.project)?;
    let (m, _) = find(state, &joined, member_id).await?;
    rules::check_outranks(&joined.standing, &m, true)?;
    rules::remove_member(state.db(), m, user.id, rules::Departure::Removed).await?;
    Ok(Deleted::Done)
}

pub struct ProjectMembersApi;

#[OpenApi(tag = "Tag::Projects")]
impl ProjectMembersApi {
    /// Every membership of the project (former members included, `is_active: false`), as
    /// UserLite plus role. Every `…/members/…` route also answers as `…/project-members/…`
    /// (Plane's alias, which the SDK uses; see `api::plane_aliases`).
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/members/",
        method = "get"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
        first_name: Query<Option<String>>,
        last_name: Query<Option<String>>,
        email: Query<Option<String>>,
        display_name: Query<Option<String>>,
        role_slug: Query<Option<String>>,
        is_active: Query<Option<bool>>,
        is_bot: Query<Option<bool>>,
    ) -> Result<Shaped<Vec<MemberView>>, ApiError> {
        let filter = member_filter(
            first_name.0,
            last_name.0,
            email.0,
            display_name.0,
            role_slug.0,
            is_active.0,
            is_bot.0,
        )?;
        list(&state, &caller, &slug, project_id.0, filter).await
    }

    /// Adds a workspace member to the project (project admins).
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/members/",
        method = "post"
    )]
    async fn add(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
        body: PlaneBody<ProjectMemberCreate>,
    ) -> Result<CreatedMember, ApiError> {
        add(&state, &caller, &slug, project_id.0, body).await
    }

    /// One member.
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/members/:member_id/",
        method = "get"
    )]
    async fn one(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
        member_id: Path<Uuid>,
    ) -> Result<Shaped<MemberView>, ApiError> {
        one(&state, &caller, &slug, project_id.0, member_id.0).await
    }

    /// Changes a member's role (project admins); never above their workspace role, and the
    /// last admin stays one.
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/members/:member_id/",
        method = "patch"
    )]
    async fn change(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
        member_id: Path<Uuid>,
        body: PlaneBody<ProjectMemberRoleUpdate>,
    ) -> Result<Shaped<ProjectMemberRow>, ApiError> {
        change(&state, &caller, &slug, project_id.0, member_id.0, body).await
    }

    /// Removes a member (project admins); the membership stays, inactive.
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/members/:member_id/",
        method = "delete"
    )]
    async fn remove(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
        member_id: Path<Uuid>,
    ) -> Result<Deleted, ApiError> {
        remove(&state, &caller, &slug, project_id.0, member_id.0).await
    }

    /// The caller leaves the project (not its last admin).
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/members/leave/",
        method = "post"
    )]
    async fn leave(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
    ) -> Result<Deleted, ApiError> {
        let (joined, user) =
            enter(&state, &caller, &slug, project_id.0, Action::LeaveProject).await?;
        let row = db::project_members::active(state.db(), joined.project.id, user.id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        rules::remove_member(state.db(), row, user.id, rules::Departure::Left).await?;
        Ok(Deleted::Done)
    }

    /// The members, paginated (the SDK's `project-members-lite`; `per_page` up to 1000).
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/project-members-lite/",
        method = "get"
    )]
    async fn lite(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
        per_page: Query<Option<String>>,
        cursor: Query<Option<String>>,
        first_name: Query<Option<String>>,
        last_name: Query<Option<String>>,
        email: Query<Option<String>>,
        display_name: Query<Option<String>>,
        role_slug: Query<Option<String>>,
        is_active: Query<Option<bool>>,
        is_bot: Query<Option<bool>>,
    ) -> Result<Shaped<Page<MemberView>>, ApiError> {
        let (joined, _) = enter(
            &state,
            &caller,
            &slug,
            project_id.0,
            Action::ViewProjectMembers,
        )
        .await?;
        let page = PageRequest::parse(per_page.as_deref(), cursor.as_deref(), 1000)?;
        let filter = member_filter(
            first_name.0,
            last_name.0,
            email.0,
            display_name.0,
            role_slug.0,
            is_active.0,
            is_bot.0,
        )?;
        let (rows, total) = db::project_members::list(
            state.db(),
            joined.project.id,
            &filter,
            Some((page.offset(), page.limit())),
        )
        .await?;
        let results = rows.iter().map(|(m, u)| view(m, u)).collect();
        Ok(Shaped::new(
            Shape::default().render(&page.envelope(results, total)),
        ))
    }
}
