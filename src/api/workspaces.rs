//! Workspaces under `/api/v1/workspaces/`: the caller's workspaces (a route Plane's v1 lacks,
//! in v1's conventions), one workspace, its members and roles, leaving it.

use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, param::Query};
use serde_json::Value;
use uuid::Uuid;

use super::{
    Tag,
    authn::CallerSlot,
    error::ApiError,
    input::{Input, PlaneBody, Text},
    json::Timestamp,
    pagination::{Page, PageRequest},
    shape::{Shape, Shaped},
    users::{Deleted, UserLite},
};
use crate::{
    app::AppState,
    db::{
        self,
        users::User,
        workspace_members::{MemberFilter, WorkspaceMember},
        workspaces::Workspace,
    },
    domain::{
        access::{Action, Role},
        workspaces::{self as rules, InWorkspace, WorkspaceDraft},
    },
};

/// A workspace, as Plane's `WorkSpaceSerializer` writes it.
#[derive(Debug, Clone, Object)]
pub struct WorkspaceView {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub owner: Uuid,
    pub logo: Option<String>,
    pub logo_url: Option<String>,
    pub organization_size: Option<String>,
    pub timezone: String,
    pub background_color: Option<String>,
    /// Active members, bots excluded.
    pub total_members: u64,
    /// The caller's role: 20 admin, 15 member, 5 guest.
    pub role: i16,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub deleted_at: Option<Timestamp>,
    pub created_by: Option<Uuid>,
    pub updated_by: Option<Uuid>,
}

impl WorkspaceView {
    pub fn new(w: &Workspace, total_members: u64, role: i16) -> WorkspaceView {
        WorkspaceView {
            id: w.id,
            name: w.name.clone(),
            slug: w.slug.clone(),
            owner: w.owner_id,
            logo: w.logo.clone(),
            logo_url: w.logo.clone(),
            organization_size: w.organization_size.clone(),
            timezone: w.timezone.clone(),
            background_color: w.background_color.clone(),
            total_members,
            role,
            created_at: w.created_at.into(),
            updated_at: w.updated_at.into(),
            deleted_at: w.deleted_at.map(Into::into),
            created_by: w.created_by,
            updated_by: w.updated_by,
        }
    }
}

/// A member: the user (UserLite) and their role.
#[derive(Debug, Clone, Object)]
pub struct MemberView {
    #[oai(flatten)]
    pub user: UserLite,
    /// 20 admin, 15 member, 5 guest.
    pub role: i16,
    pub role_slug: String,
    /// False once the member left or was removed.
    pub is_active: bool,
    pub is_bot: bool,
}

impl MemberView {
    pub fn new(user: &User, role: i16, is_active: bool) -> MemberView {
        MemberView {
            user: UserLite::from_user(user),
            role,
            role_slug: Role::from_code(role).slug().to_string(),
            is_active,
            is_bot: user.is_bot,
        }
    }

    fn of(member: &WorkspaceMember, user: &User) -> MemberView {
        MemberView::new(user, member.role, member.is_active)
    }
}

#[derive(Debug, Object)]
pub struct WorkspaceCreate {
    /// At most 80 characters, without links.
    pub name: String,
    /// Letters, digits, `-` and `_`; at most 48; not one of the reserved words.
    pub slug: String,
    pub organization_size: Option<String>,
    /// An IANA time zone; `UTC` when absent.
    pub timezone: Option<String>,
}

#[derive(Debug, Object)]
pub struct WorkspaceUpdate {
    pub name: Option<String>,
    pub organization_size: Option<String>,
    pub timezone: Option<String>,
    pub logo: Option<String>,
    pub background_color: Option<String>,
}

#[derive(Debug, Object)]
pub struct MemberRoleUpdate {
    /// 20 admin, 15 member, 5 guest.
    pub role: i16,
}

#[derive(ApiResponse)]
pub enum CreatedWorkspace {
    #[oai(status = 201)]
    Created(Shaped<WorkspaceView>),
}

pub fn user_of(caller: &CallerSlot) -> Result<&User, ApiError> {
    Ok(&caller.require()?.user)
}

async fn view(state: &AppState, w: &Workspace, role: i16) -> Result<WorkspaceView, ApiError> {
    let total = db::workspace_members::count_active(state.db(), w.id).await?;
    Ok(WorkspaceView::new(w, total, role))
}

fn render<T: poem_openapi::types::ToJSON>(item: &T) -> Value {
    Shape::default().render(item)
}

/// The member filters Plane's SDK sends (`MemberQueryParams`).
pub fn member_filter(
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    display_name: Option<String>,
    role_slug: Option<String>,
    is_active: Option<bool>,
    is_bot: Option<bool>,
) -> Result<MemberFilter, ApiError> {
    let roles = match role_slug.as_deref() {
        None | Some("") => None,
        Some("admin") => Some(vec![20]),
        Some("member") | Some("contributor") => Some(vec![15]),
        Some("guest") | Some("commenter") => Some(vec![5, 10]),
        Some(_) => Some(vec![]),
    };
    Ok(MemberFilter {
        first_name,
        last_name,
        email,
        display_name,
        roles,
        is_active,
        is_bot,
    })
}

pub struct WorkspacesApi;

#[OpenApi(tag = "Tag::Workspaces")]
impl WorkspacesApi {
    /// The workspaces the caller belongs to, by name (Plane's v1 has no such route; this one
    /// follows its conventions).
    #[oai(path = "/api/v1/workspaces/", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        per_page: Query<Option<String>>,
        cursor: Query<Option<String>>,
        fields: Query<Option<String>>,
    ) -> Result<Shaped<Page<WorkspaceView>>, ApiError> {
        let user = user_of(&caller)?;
        let page = PageRequest::parse(per_page.as_deref(), cursor.as_deref(), 1000)?;
        let shape = Shape::new(fields.as_deref(), None);
        let (rows, total) =
            db::workspaces::for_member(state.db(), user.id, page.offset(), page.limit()).await?;
        let ids: Vec<Uuid> = rows.iter().map(|(w, _)| w.id).collect();
        let totals = db::workspace_members::count_active_of(state.db(), &ids).await?;
        let results = rows
            .iter()
            .map(|(w, role)| {
                let total = totals.get(&w.id).copied().unwrap_or(0);
                shape.render(&WorkspaceView::new(w, total, *role))
            })
            .collect();
        Ok(Shaped::new(render(&page.envelope(results, total))))
    }

    /// Creates a workspace; the caller becomes its owner and first admin.
    #[oai(path = "/api/v1/workspaces/", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        body: PlaneBody<WorkspaceCreate>,
    ) -> Result<CreatedWorkspace, ApiError> {
        let user = user_of(&caller)?;
        let mut input = body.input()?;
        input.require(&["name", "slug"]);
        let name = input.text("name", Text::max(rules::NAME_MAX));
        let slug = input.text("slug", Text::max(rules::SLUG_MAX));
        let organization_size = input.nullable_text("organization_size", Text::blank_ok(20));
        let timezone = input.text("timezone", Text::max(255));
        check(&mut input, "name", name.as_deref(), rules::check_name);
        check(&mut input, "slug", slug.as_deref(), rules::check_slug);
        check(
            &mut input,
            "timezone",
            timezone.as_deref(),
            rules::check_timezone,
        );
        input.finish()?;
        let draft = WorkspaceDraft {
            name: name.unwrap_or_default(),
            slug: slug.unwrap_or_default(),
            organization_size: organization_size.flatten(),
            timezone,
        };
        let workspace = rules::create(&state, user, draft).await?;
        let view = view(&state, &workspace, Role::Admin.code()).await?;
        Ok(CreatedWorkspace::Created(Shaped::new(render(&view))))
    }

    /// One workspace the caller belongs to.
    #[oai(path = "/api/v1/workspaces/:slug/", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        fields: Query<Option<String>>,
    ) -> Result<Shaped<WorkspaceView>, ApiError> {
        let user = user_of(&caller)?;
        let joined = rules::enter(state.db(), &slug, user.id, Action::ViewWorkspace).await?;
        let view = view(&state, &joined.workspace, joined.standing.role.code()).await?;
        Ok(Shaped::new(
            Shape::new(fields.as_deref(), None).render(&view),
        ))
    }

    /// Renames the workspace or changes its details (workspace admins). The slug never changes:
    /// links use it.
    #[oai(path = "/api/v1/workspaces/:slug/", method = "patch")]
    async fn update(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        body: PlaneBody<WorkspaceUpdate>,
    ) -> Result<Shaped<WorkspaceView>, ApiError> {
        let user = user_of(&caller)?;
        let joined = rules::enter(state.db(), &slug, user.id, Action::UpdateWorkspace).await?;
        let mut input = body.input()?;
        if input.has("slug") {
            input.fail("slug", "The slug of a workspace cannot be changed.");
        }
        let name = input.text("name", Text::max(rules::NAME_MAX));
        let organization_size = input.nullable_text("organization_size", Text::blank_ok(20));
        let timezone = input.text("timezone", Text::max(255));
        let logo = input.nullable_text("logo", Text::blank_ok(2048));
        let background_color = input.nullable_text("background_color", Text::blank_ok(255));
        check(&mut input, "name", name.as_deref(), rules::check_name);
        check(
            &mut input,
            "timezone",
            timezone.as_deref(),
            rules::check_timezone,
        );
        input.finish()?;
        let workspace =
            db::workspaces::save(state.db(), joined.workspace, user.id, db::now(), |w| {
                use sea_orm::ActiveValue::Set;
                if let Some(v) = name {
                    w.name = Set(v);
                }
                if let Some(v) = organization_size {
                    w.organization_size = Set(v);
                }
                if let Some(v) = timezone {
                    w.timezone = Set(v);
                }
                if let Some(v) = logo {
                    w.logo = Set(v);
                }
                if let Some(v) = background_color {
                    w.background_color = Set(v);
                }
            })
            .await?;
        let view = view(&state, &workspace, joined.standing.role.code()).await?;
        Ok(Shaped::new(render(&view)))
    }

    /// Deletes the workspace and everything in it (the owner only).
    #[oai(path = "/api/v1/workspaces/:slug/", method = "delete")]
    async fn delete(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
    ) -> Result<Deleted, ApiError> {
        let user = user_of(&caller)?;
        let joined = rules::enter(state.db(), &slug, user.id, Action::DeleteWorkspace).await?;
        rules::delete(state.db(), &joined.workspace, user.id).await?;
        Ok(Deleted::Done)
    }

    /// Every member of the workspace, former ones included (`is_active: false`), as UserLite
    /// plus role. Workspace admins and members.
    #[oai(path = "/api/v1/workspaces/:slug/members/", method = "get")]
    async fn members(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        first_name: Query<Option<String>>,
        last_name: Query<Option<String>>,
        email: Query<Option<String>>,
        display_name: Query<Option<String>>,
        role_slug: Query<Option<String>>,
        is_active: Query<Option<bool>>,
        is_bot: Query<Option<bool>>,
        fields: Query<Option<String>>,
    ) -> Result<Shaped<Vec<MemberView>>, ApiError> {
        let user = user_of(&caller)?;
        let joined = rules::enter(state.db(), &slug, user.id, Action::ListMembers).await?;
        let filter = member_filter(
            first_name.0,
            last_name.0,
            email.0,
            display_name.0,
            role_slug.0,
            is_active.0,
            is_bot.0,
        )?;
        let (rows, _) =
            db::workspace_members::list(state.db(), joined.workspace.id, &filter, None).await?;
        let shape = Shape::new(fields.as_deref(), None);
        let list: Vec<Value> = rows
            .iter()
            .map(|(m, u)| shape.render(&MemberView::of(m, u)))
            .collect();
        Ok(Shaped::new(Value::Array(list)))
    }

    /// The members, paginated (the SDK's `members-lite`; `per_page` up to 1000).
    #[oai(path = "/api/v1/workspaces/:slug/members-lite/", method = "get")]
    async fn members_lite(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
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
        let user = user_of(&caller)?;
        let joined = rules::enter(state.db(), &slug, user.id, Action::ListMembers).await?;
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
        let (rows, total) = db::workspace_members::list(
            state.db(),
            joined.workspace.id,
            &filter,
            Some((page.offset(), page.limit())),
        )
        .await?;
        let results = rows
            .iter()
            .map(|(m, u)| render(&MemberView::of(m, u)))
            .collect();
        Ok(Shaped::new(render(&page.envelope(results, total))))
    }

    /// One member, by user id (or membership id).
    #[oai(path = "/api/v1/workspaces/:slug/members/:member_id/", method = "get")]
    async fn member(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        member_id: Path<Uuid>,
    ) -> Result<Shaped<MemberView>, ApiError> {
        let user = user_of(&caller)?;
        let joined = rules::enter(state.db(), &slug, user.id, Action::ListMembers).await?;
        let (m, u) = find_member(&state, &joined, member_id.0).await?;
        Ok(Shaped::new(render(&MemberView::of(&m, &u))))
    }

    /// Changes a member's role (workspace admins). The owner stays an admin, and so does the
    /// last admin. Their project roles are lowered to fit.
    #[oai(
        path = "/api/v1/workspaces/:slug/members/:member_id/",
        method = "patch"
    )]
    async fn update_member(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        member_id: Path<Uuid>,
        body: PlaneBody<MemberRoleUpdate>,
    ) -> Result<Shaped<MemberView>, ApiError> {
        let user = user_of(&caller)?;
        let joined = rules::enter(state.db(), &slug, user.id, Action::ManageMembers).await?;
        let mut input = body.input()?;
        input.require(&["role"]);
        let role = read_role(&mut input);
        input.finish()?;
        let (m, u) = find_member(&state, &joined, member_id.0).await?;
        let role = role.ok_or_else(|| ApiError::field("role", "Invalid role"))?;
        let updated = rules::change_role(state.db(), &joined.workspace, m, role, user.id).await?;
        Ok(Shaped::new(render(&MemberView::of(&updated, &u))))
    }

    /// Removes a member from the workspace and its projects (workspace admins; not the owner).
    #[oai(
        path = "/api/v1/workspaces/:slug/members/:member_id/",
        method = "delete"
    )]
    async fn remove_member(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        member_id: Path<Uuid>,
    ) -> Result<Deleted, ApiError> {
        let user = user_of(&caller)?;
        let joined = rules::enter(state.db(), &slug, user.id, Action::ManageMembers).await?;
        let (m, _) = find_member(&state, &joined, member_id.0).await?;
        rules::remove_member(state.db(), &joined.workspace, &m, user.id).await?;
        Ok(Deleted::Done)
    }

    /// The caller leaves the workspace and its projects.
    #[oai(path = "/api/v1/workspaces/:slug/members/leave/", method = "post")]
    async fn leave(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
    ) -> Result<Deleted, ApiError> {
        let user = user_of(&caller)?;
        let joined = rules::enter(state.db(), &slug, user.id, Action::LeaveWorkspace).await?;
        rules::leave(state.db(), &joined, user.id).await?;
        Ok(Deleted::Done)
    }
}

async fn find_member(
    state: &AppState,
    joined: &InWorkspace,
    id: Uuid,
) -> Result<(WorkspaceMember, User), ApiError> {
    db::workspace_members::find(state.db(), joined.workspace.id, id)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// `role`: 20, 15 or 5. Plane's models give the field choices, so DRF's ChoiceField answers
/// anything else (`10`, `20.0`, `"abc"`) with `"10" is not a valid choice.` before any
/// serializer's own role check runs.
pub fn read_role(input: &mut Input) -> Option<Role> {
    const CHOICES: [Role; 3] = [Role::Admin, Role::Member, Role::Guest];
    let code = input.choice("role", &["20", "15", "5"])?;
    let role = CHOICES
        .into_iter()
        .find(|role| role.code().to_string() == code);
    if role.is_none() {
        input.fail("role", format!("\"{code}\" is not a valid choice."));
    }
    role
}

/// Runs a rule on a field that was read, recording its message.
pub fn check(
    input: &mut Input,
    key: &str,
    value: Option<&str>,
    rule: impl Fn(&str) -> Result<(), String>,
) {
    if let Some(value) = value
        && let Err(message) = rule(value)
    {
        input.fail(key, message);
    }
}
