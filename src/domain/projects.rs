//! Projects and their members, with Plane's rules (`plane-api-v1.md` §5.4, §7.1–7.2): name and
//! identifier form, uniqueness among live projects, the lead and default assignee being
//! workspace members, archived projects being read-only, the last admin staying.

use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    access::{self, Action, ProjectFacts, Role, Standing, WorkspaceStanding},
    problem::Problem,
};
use crate::db::{
    self, Db,
    project_members::{Changed, JoinRole, Joined, MemberChange, OnArchived, ProjectMember},
    projects::{Closed, NewProject, Project, ProjectClash},
    workspaces::Workspace,
};

pub const NAME_MAX: usize = 255;
pub const IDENTIFIER_MAX: usize = 12;

/// Characters Plane refuses in names and identifiers
/// (`Project.FORBIDDEN_IDENTIFIER_CHARS_PATTERN`).
const FORBIDDEN: &[char] = &[
    '&', '+', ',', ':', ';', '$', '^', '}', '{', '*', '=', '?', '@', '#', '|', '\'', '<', '>', '.',
    '(', ')', '%', '!', '-',
];

pub fn has_forbidden_chars(text: &str) -> bool {
    text.contains(FORBIDDEN)
}

/// A project the caller may act on, and where they stand.
#[derive(Debug, Clone)]
pub struct InProject {
    pub workspace: Workspace,
    pub project: Project,
    pub standing: Standing,
}

impl InProject {
    pub fn workspace_role(&self) -> Role {
        self.standing
            .workspace
            .map(|w| w.role)
            .unwrap_or(Role::Guest)
    }
}

/// Loads the caller's standing in the project and asks the rule book about `action`. A project
/// of another workspace is treated exactly like an unknown one.
pub async fn enter(
    db: &Db,
    slug: &str,
    project_id: Uuid,
    user_id: Uuid,
    action: Action,
) -> Result<InProject, Problem> {
    let Some((workspace, membership)) = db::workspaces::with_membership(db, slug, user_id).await?
    else {
        return Err(Problem::Forbidden);
    };
    let workspace_standing = membership
        .filter(|m| m.is_active)
        .map(|m| WorkspaceStanding {
            role: Role::from_code(m.role),
            is_owner: workspace.owner_id == user_id,
        });
    let found = match workspace_standing {
        Some(_) => db::projects::with_membership(db, workspace.id, project_id, user_id).await?,
        None => None,
    };
    let (project, project_role) = match found {
        Some((p, m)) => (Some(p), m.map(|m| Role::from_code(m.role))),
        None => (None, None),
    };
    let standing = Standing {
        workspace: workspace_standing,
        project: project.as_ref().map(|p| ProjectFacts {
            is_public: p.network == db::projects::NETWORK_PUBLIC,
            role: project_role,
        }),
        invitation: None,
    };
    access::decide(action, &standing)?;
    let project = project.ok_or(Problem::NotFound)?;
    Ok(InProject {
        workspace,
        project,
        standing,
    })
}

/// Plane's random project icon (`ProjectCreateSerializer`).
pub fn random_logo() -> Value {
    const COLORS: [&str; 8] = [
        "#95999f", "#6d7b8a", "#5e6ad2", "#02b5ed", "#02b55c", "#f2be02", "#e57a00", "#f38e82",
    ];
    const ICONS: [&str; 28] = [
        "home",
        "apps",
        "settings",
        "star",
        "favorite",
        "done",
        "check_circle",
        "add_task",
        "create_new_folder",
        "dataset",
        "terminal",
        "key",
        "rocket",
        "public",
        "quiz",
        "mood",
        "gavel",
        "eco",
        "diamond",
        "forest",
        "bolt",
        "sync",
        "cached",
        "library_add",
        "view_timeline",
        "view_kanban",
        "empty_dashboard",
        "cycle",
    ];
    let icon = ICONS[rand::random_range(0..ICONS.len())];
    let color = COLORS[rand::random_range(0..COLORS.len())];
    json!({"in_use": "icon", "icon": {"name": icon, "color": color}})
}

/// Checks that `user_id` is an active member of the workspace.
async fn is_member(db: &Db, workspace_id: Uuid, user_id: Uuid) -> Result<bool, Problem> {
    Ok(db::workspace_members::active(db, workspace_id, user_id)
        .await?
        .is_some())
}

/// The lead and default assignee must be active members of the workspace.
pub async fn check_people(
    db: &Db,
    workspace_id: Uuid,
    project_lead: Option<Uuid>,
    default_assignee: Option<Uuid>,
) -> Result<(), Problem> {
    if let Some(lead) = project_lead
        && !is_member(db, workspace_id, lead).await?
    {
        return Err(Problem::field(
            "project_lead",
            "The provided user is not a member of this workspace.",
        ));
    }
    if let Some(assignee) = default_assignee
        && !is_member(db, workspace_id, assignee).await?
    {
        return Err(Problem::field(
            "non_field_errors",
            "Default assignee should be a user in the workspace",
        ));
    }
    Ok(())
}

fn clash_body(clash: ProjectClash) -> Problem {
    match clash {
        ProjectClash::Name => {
            Problem::Conflict(json!({"name": "The project name is already taken"}))
        }
        ProjectClash::Identifier => {
            Problem::Conflict(json!({"identifier": "The project identifier is already taken"}))
        }
        ProjectClash::WorkspaceGone => Problem::NotFound,
        ProjectClash::CreatorNotPermitted => Problem::Forbidden,
        ProjectClash::Db(e) => e.into(),
    }
}

/// Creates the project with its six states; the creator (and the lead) become its admins.
pub async fn create(db: &Db, new: NewProject, creator: Uuid) -> Result<Project, Problem> {
    check_people(
        db,
        new.workspace_id,
        new.project_lead_id,
        new.default_assignee_id,
    )
    .await?;
    db::projects::create(db, new, creator, db::now())
        .await
        .map_err(clash_body)
}

/// Refuses a name or identifier another live project of the workspace uses.
pub async fn check_unique(
    db: &Db,
    project: &Project,
    name: Option<&str>,
    identifier: Option<&str>,
) -> Result<(), Problem> {
    match db::projects::clash(
        &db.conn,
        project.workspace_id,
        name,
        identifier,
        Some(project.id),
    )
    .await?
    {
        Some(clash) => Err(clash_body(clash)),
        None => Ok(()),
    }
}

/// Archived projects are read-only.
pub fn check_editable(project: &Project) -> Result<(), Problem> {
    if project.archived_at.is_some() {
        return Err(archived());
    }
    Ok(())
}

/// Plane's refusal of a change to an archived project.
pub fn archived() -> Problem {
    Problem::Refused("Archived project cannot be updated".into())
}

/// The answer to a write that found its project closed once it held the project's row: what
/// the request's own checks answer for a deleted project (404) or an archived one.
pub fn closed(closed: Closed) -> Problem {
    match closed {
        Closed::Gone => Problem::NotFound,
        Closed::Archived => archived(),
    }
}

pub async fn set_archived(
    db: &Db,
    project: Project,
    archived: bool,
    by: Uuid,
) -> Result<Project, Problem> {
    let now = db::now();
    Ok(db::projects::save(db, project, by, now, |p| {
        p.archived_at = sea_orm::ActiveValue::Set(archived.then_some(now));
    })
    .await?)
}

pub async fn delete(db: &Db, project: &Project, by: Uuid) -> Result<(), Problem> {
    db::projects::soft_delete(db, project.id, by, db::now()).await?;
    Ok(())
}

/// Joins a project the caller can see; they get their workspace role (Plane).
pub async fn join(db: &Db, joined: &InProject, user_id: Uuid) -> Result<ProjectMember, Problem> {
    if joined.standing.project.and_then(|p| p.role).is_some() {
        return Err(already_joined());
    }
    let outcome = db::project_members::join_live(
        db,
        &joined.project,
        user_id,
        JoinRole::OfWorkspace,
        Some(user_id),
        db::now(),
        OnArchived::Proceed,
    )
    .await?;
    match outcome {
        Joined::Done(member) => Ok(*member),
        Joined::AlreadyMember => Err(already_joined()),
        // Removed from the workspace, or the project deleted, meanwhile.
        Joined::NotInWorkspace | Joined::RoleTooHigh | Joined::ProjectGone => {
            Err(Problem::NotFound)
        }
        Joined::Archived => Err(archived()),
    }
}

fn role_too_high() -> Problem {
    Problem::field(
        "role",
        "The role cannot be higher than the member's workspace role",
    )
}

fn already_joined() -> Problem {
    Problem::Refused("You are already a member of this project".into())
}

/// Adds a workspace member to the project with a role no higher than their workspace role.
pub async fn add_member(
    db: &Db,
    joined: &InProject,
    user_id: Uuid,
    role: Role,
    by: Uuid,
) -> Result<ProjectMember, Problem> {
    let outcome = db::project_members::join_live(
        db,
        &joined.project,
        user_id,
        JoinRole::AtMost(role.code()),
        Some(by),
        db::now(),
        OnArchived::Refuse,
    )
    .await?;
    match outcome {
        Joined::Done(member) => Ok(*member),
        Joined::NotInWorkspace => Err(Problem::field("member", "Member not found in workspace")),
        Joined::RoleTooHigh => Err(role_too_high()),
        Joined::AlreadyMember => Err(Problem::field(
            "member",
            "The user is already a member of the project",
        )),
        Joined::ProjectGone => Err(Problem::NotFound),
        Joined::Archived => Err(archived()),
    }
}

/// Refuses a change of `target`'s membership the caller does not outrank ([`access::outranks`]),
/// with Plane's words for a change of role or a removal.
pub fn check_outranks(
    standing: &Standing,
    target: &ProjectMember,
    removal: bool,
) -> Result<(), Problem> {
    if access::outranks(standing, target.role) {
        return Ok(());
    }
    Err(Problem::Refused(if removal {
        "You cannot remove a user having role higher than you".into()
    } else {
        "You cannot update a role that is higher than your own role".into()
    }))
}

/// Changes a member's project role: never above their workspace role, and never the last
/// admin's to less (both checked under the project's lock).
pub async fn change_member_role(
    db: &Db,
    row: ProjectMember,
    role: Role,
    by: Uuid,
) -> Result<ProjectMember, Problem> {
    if !row.is_active {
        return Err(Problem::NotFound);
    }
    let change = MemberChange::Role(role.code());
    let now = db::now();
    let on_archived = OnArchived::Refuse;
    match db::project_members::change_keeping_an_admin(db, &row, change, by, now, on_archived)
        .await?
    {
        Changed::Done(row) => Ok(*row),
        Changed::RoleTooHigh => Err(role_too_high()),
        Changed::LastAdmin => Err(Problem::Refused(
            "The project needs at least one admin".into(),
        )),
        Changed::Gone => Err(Problem::NotFound),
        Changed::Archived => Err(archived()),
    }
}

/// Who ends a membership: an admin removing a member (not in an archived project, which is
/// read-only), or the member leaving (allowed there too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Departure {
    Removed,
    Left,
}

/// Ends a membership (the row stays, inactive). The last admin stays. Ending one that already
/// ended changes nothing and succeeds, as Plane's DELETE does.
pub async fn remove_member(
    db: &Db,
    row: ProjectMember,
    by: Uuid,
    departure: Departure,
) -> Result<(), Problem> {
    if !row.is_active {
        return Ok(());
    }
    let change = MemberChange::End;
    let on_archived = match departure {
        Departure::Left => OnArchived::Proceed,
        Departure::Removed => OnArchived::Refuse,
    };
    let now = db::now();
    match db::project_members::change_keeping_an_admin(db, &row, change, by, now, on_archived)
        .await?
    {
        Changed::Done(_) => Ok(()),
        Changed::LastAdmin => Err(Problem::Refused(
            "The project needs at least one admin; make someone else admin first".into(),
        )),
        // Only a change of role asks about the workspace role.
        Changed::Gone | Changed::RoleTooHigh => Err(Problem::NotFound),
        Changed::Archived => Err(archived()),
    }
}

/// Counts for the project summary.
pub async fn summary_counts(
    db: &Db,
    project: &Project,
) -> Result<Vec<(&'static str, u64)>, Problem> {
    Ok(vec![
        (
            "members",
            db::project_members::count_active(db, project.id).await?,
        ),
        ("states", db::states::count(db, project.id).await?),
        ("labels", db::labels::count(db, project.id).await?),
        // Cycles, modules, intake and pages arrive with their own issues.
        ("cycles", 0),
        ("modules", 0),
        (
            "issues",
            db::work_items::count_in_project(db, project.id).await?,
        ),
        ("intakes", 0),
        ("pages", 0),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_characters_are_planes() {
        assert!(!has_forbidden_chars("Apollo 11_été"));
        for bad in ["a-b", "a.b", "a&b", "a'b", "(a)", "50%", "hey!", "a@b"] {
            assert!(has_forbidden_chars(bad), "{bad}");
        }
    }

    #[test]
    fn random_logos_are_icons() {
        let logo = random_logo();
        assert_eq!(logo["in_use"], "icon");
        assert!(logo["icon"]["name"].is_string() && logo["icon"]["color"].is_string());
    }
}
