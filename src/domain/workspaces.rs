//! Workspaces: creating, renaming and deleting them, and their members' roles, with Plane's
//! rules (slug form and reserved slugs, name without URLs, the owner, the last admin).

use uuid::Uuid;

use super::{
    access::{self, Action, Role, Standing, WorkspaceStanding},
    problem::Problem,
};
use crate::{
    app::AppState,
    db::{
        self, Db, now,
        users::User,
        workspace_members::{Outcome, WorkspaceMember},
        workspaces::{CreateWorkspaceError, NewWorkspace, Workspace},
    },
};

/// Slugs the web UI's own routes use (Plane's `RESTRICTED_WORKSPACE_SLUGS`).
pub const RESERVED_SLUGS: &[&str] = &[
    "404",
    "accounts",
    "api",
    "create-workspace",
    "god-mode",
    "installations",
    "invitations",
    "onboarding",
    "profile",
    "spaces",
    "workspace-invitations",
    "password",
    "flags",
    "monitor",
    "monitoring",
    "ingest",
    "plane-pro",
    "plane-ultimate",
    "enterprise",
    "plane-enterprise",
    "disco",
    "silo",
    "chat",
    "calendar",
    "drive",
    "channels",
    "upgrade",
    "billing",
    "sign-in",
    "sign-up",
    "signin",
    "signup",
    "config",
    "live",
    "admin",
    "m",
    "import",
    "importers",
    "integrations",
    "integration",
    "configuration",
    "initiatives",
    "initiative",
    "workflow",
    "workflows",
    "epics",
    "epic",
    "story",
    "mobile",
    "dashboard",
    "desktop",
    "onload",
    "real-time",
    "one",
    "pages",
    "business",
    "pro",
    "settings",
    "license",
    "licenses",
    "instances",
    "instance",
    "auth",
    "assets",
    "static",
    "healthz",
    "readyz",
    "setup",
    "recovery",
    "workspaces",
];

pub const NAME_MAX: usize = 80;
pub const SLUG_MAX: usize = 48;

/// Plane's slug rule: letters, digits, `-` and `_`, at most 48, not reserved.
pub fn check_slug(slug: &str) -> Result<(), String> {
    if slug.chars().count() > SLUG_MAX {
        return Err(format!(
            "Ensure this field has no more than {SLUG_MAX} characters."
        ));
    }
    if RESERVED_SLUGS.contains(&slug.to_lowercase().as_str()) {
        return Err("Slug is not valid".into());
    }
    if slug.is_empty()
        || !slug
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(
            "Slug can only contain letters, numbers, hyphens (-), and underscores (_)".into(),
        );
    }
    Ok(())
}

/// Plane refuses names that carry a link (`plane/utils/url.py`).
pub fn contains_url(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.contains("http://")
        || lower.contains("https://")
        || lower.contains("www.")
        || lower.contains("://")
}

pub fn check_name(name: &str) -> Result<(), String> {
    if contains_url(name) {
        return Err("Name must not contain URLs".into());
    }
    Ok(())
}

/// A workspace the caller may act in, and where they stand.
#[derive(Debug, Clone)]
pub struct InWorkspace {
    pub workspace: Workspace,
    pub standing: WorkspaceStanding,
}

/// Loads the caller's standing in workspace `slug` and asks the rule book about `action`.
/// An unknown slug is refused exactly like a workspace the caller is not in.
pub async fn enter(
    db: &Db,
    slug: &str,
    user_id: Uuid,
    action: Action,
) -> Result<InWorkspace, Problem> {
    let Some((workspace, membership)) = db::workspaces::with_membership(db, slug, user_id).await?
    else {
        return Err(Problem::Forbidden);
    };
    let standing = membership
        .filter(|m| m.is_active)
        .map(|m| WorkspaceStanding {
            role: Role::from_code(m.role),
            is_owner: workspace.owner_id == user_id,
        });
    access::decide(
        action,
        &Standing {
            workspace: standing,
            project: None,
            invitation: None,
        },
    )?;
    let standing = standing.ok_or(Problem::Forbidden)?;
    Ok(InWorkspace {
        workspace,
        standing,
    })
}

#[derive(Debug, Clone, Default)]
pub struct WorkspaceDraft {
    pub name: String,
    pub slug: String,
    pub organization_size: Option<String>,
    pub timezone: Option<String>,
}

/// A workspace's or project's time zone: one of pytz's common names, as Plane's models allow.
pub fn check_timezone(timezone: &str) -> Result<(), String> {
    if super::timezones::is_common(timezone) {
        Ok(())
    } else {
        Err(format!("\"{timezone}\" is not a valid choice."))
    }
}

/// Creates a workspace owned by `owner`, who becomes its first admin, unless the instance
/// keeps workspace creation to its admins.
pub async fn create(
    state: &AppState,
    owner: &User,
    draft: WorkspaceDraft,
) -> Result<Workspace, Problem> {
    let settings = state.instance_settings().await?;
    let disabled = settings.workspace_creation_disabled();
    // The admin lookup only matters when creation is kept to admins.
    let is_admin = disabled && db::users::is_admin(state.db(), owner.id).await?;
    if !access::may_create_workspace(disabled, is_admin) {
        return Err(Problem::ForbiddenBecause(
            "Workspace creation is not allowed".into(),
        ));
    }
    create_for(state.db(), owner, draft).await
}

/// Checks the draft's name, slug and time zone; every problem at once.
pub fn check_draft(draft: &WorkspaceDraft) -> Result<(), Problem> {
    let mut problems = std::collections::BTreeMap::new();
    let mut note = |key: &str, result: Result<(), String>| {
        if let Err(message) = result {
            problems.insert(key.to_string(), vec![message]);
        }
    };
    if draft.name.trim().is_empty() {
        note("name", Err("This field may not be blank.".into()));
    } else if draft.name.chars().count() > NAME_MAX {
        note(
            "name",
            Err(format!(
                "Ensure this field has no more than {NAME_MAX} characters."
            )),
        );
    } else {
        note("name", check_name(&draft.name));
    }
    note("slug", check_slug(&draft.slug));
    if let Some(tz) = &draft.timezone {
        note("timezone", check_timezone(tz));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Problem::Invalid(problems))
    }
}

/// Creates the workspace with no policy check (the API checks the instance setting first; the
/// admin CLI needs none).
pub async fn create_for(
    db: &Db,
    owner: &User,
    draft: WorkspaceDraft,
) -> Result<Workspace, Problem> {
    check_draft(&draft)?;
    let new = NewWorkspace {
        name: draft.name,
        slug: draft.slug,
        owner_id: owner.id,
        organization_size: draft.organization_size,
        timezone: draft.timezone.unwrap_or_else(|| "UTC".into()),
    };
    match db::workspaces::create(db, new, now()).await {
        Ok(workspace) => Ok(workspace),
        Err(CreateWorkspaceError::SlugTaken) => Err(Problem::Conflict(serde_json::json!({
            "slug": "The workspace with the slug already exists"
        }))),
        Err(CreateWorkspaceError::Db(e)) => Err(e.into()),
    }
}

/// Soft-deletes the workspace with everything in it.
pub async fn delete(db: &Db, workspace: &Workspace, by: Uuid) -> Result<(), Problem> {
    db::workspaces::soft_delete(db, workspace.id, by, now()).await?;
    Ok(())
}

/// Gives `target` a new role. The owner's role is fixed, and the last admin stays an admin.
pub async fn change_role(
    db: &Db,
    workspace: &Workspace,
    target: WorkspaceMember,
    role: Role,
    by: Uuid,
) -> Result<WorkspaceMember, Problem> {
    if !target.is_active {
        return Err(Problem::Refused(
            "The user is no longer a member of the workspace".into(),
        ));
    }
    if target.member_id == workspace.owner_id && role != Role::Admin {
        return Err(Problem::Refused(
            "The workspace owner's role cannot be changed".into(),
        ));
    }
    match db::workspace_members::set_role(db, target, role.code(), by, now()).await? {
        Outcome::Done(updated) => Ok(updated),
        Outcome::WorkspaceGone => Err(Problem::NotFound),
        Outcome::LastWorkspaceAdmin => Err(Problem::Refused(
            "The workspace needs at least one admin".into(),
        )),
        Outcome::SoleProjectAdmin => Err(Problem::Refused(
            "User is the only admin of some projects; promote another project member to admin first".into(),
        )),
    }
}

/// Removes `target` from the workspace and its projects (the membership rows stay, inactive).
pub async fn remove_member(
    db: &Db,
    workspace: &Workspace,
    target: &WorkspaceMember,
    by: Uuid,
) -> Result<(), Problem> {
    if target.member_id == workspace.owner_id {
        return Err(Problem::Refused(
            "The workspace owner cannot be removed".into(),
        ));
    }
    if target.member_id == by {
        return Err(Problem::Refused(
            "You cannot remove yourself; leave the workspace instead".into(),
        ));
    }
    if !target.is_active {
        return Err(Problem::NotFound);
    }
    match db::workspace_members::deactivate(db, workspace.id, target.member_id, by, now()).await? {
        Outcome::Done(()) => Ok(()),
        Outcome::WorkspaceGone => Err(Problem::NotFound),
        Outcome::LastWorkspaceAdmin => Err(Problem::Refused(
            "The workspace needs at least one admin".into(),
        )),
        Outcome::SoleProjectAdmin => Err(Problem::Refused(
            "User is a part of some projects where they are the only admin, they should either leave that project or promote another user to admin".into(),
        )),
    }
}

/// The caller leaves the workspace and its projects. The owner and the last admin cannot.
pub async fn leave(db: &Db, joined: &InWorkspace, user_id: Uuid) -> Result<(), Problem> {
    if joined.standing.is_owner {
        return Err(Problem::Refused(
            "The workspace owner cannot leave the workspace; delete it instead".into(),
        ));
    }
    match db::workspace_members::deactivate(db, joined.workspace.id, user_id, user_id, now()).await? {
        Outcome::Done(()) => Ok(()),
        Outcome::WorkspaceGone => Err(Problem::NotFound),
        Outcome::LastWorkspaceAdmin => Err(Problem::Refused(
            "You cannot leave the workspace as you are the only admin of the workspace you will have to either delete the workspace or promote another user to admin".into(),
        )),
        Outcome::SoleProjectAdmin => Err(Problem::Refused(
            "You are a part of some projects where you are the only admin, you should either leave the project or promote another user to admin".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_follow_planes_rules() {
        assert!(check_slug("acme-corp_2").is_ok());
        assert_eq!(check_slug("god-mode").unwrap_err(), "Slug is not valid");
        assert_eq!(check_slug("API").unwrap_err(), "Slug is not valid");
        assert!(check_slug("acme corp").is_err());
        assert!(check_slug("acme.corp").is_err());
        assert!(check_slug("").is_err());
        assert!(check_slug(&"a".repeat(49)).is_err());
        assert!(check_slug(&"a".repeat(48)).is_ok());
    }

    #[test]
    fn names_without_links() {
        assert!(check_name("Acme Corp").is_ok());
        assert!(check_name("see https://evil.example").is_err());
        assert!(check_name("www.evil.example").is_err());
    }
}
