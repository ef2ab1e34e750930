//! The rule book: who may do what in a workspace and its projects. Every handler under
//! `/api/v1/workspaces/` states the [`Action`] it performs and asks [`decide`]; no handler
//! checks roles on its own.
//!
//! The rules are Plane's permission classes (`plane-api-v1.md` §4.3), with its gaps closed:
//!
//! | action | who | Plane's class |
//! |---|---|---|
//! | view the workspace, list projects, leave | any active member | `WorkspaceUserPermission` |
//! | create a project, list members | admin or member | `ProjectBasePermission` POST, `WorkSpaceAdminPermission` |
//! | rename the workspace, manage members and invitations | admin | `WorkspaceOwnerPermission` (which forgot `is_active`) |
//! | delete the workspace | the owner | — |
//! | view a project | its members; admins and members of the workspace when it is public | `ProjectBasePermission` GET |
//! | change, archive, delete a project; manage its members | the project's admins, or a workspace admin who is a member of it | `ProjectBasePermission`, `ProjectAdminPermission` (Plane let any workspace member archive) |
//! | read states, labels, estimates | any member of the project | `ProjectEntityPermission` |
//! | write them | project admins and members (not guests) | `ProjectEntityPermission` (Plane let workspace members who are not in the project create labels) |
//! | join a project | admins and members of the workspace; secret projects only workspace admins | `UserProjectInvitationsViewset` |
//! | read or decline an invitation (`/api/workspace-invitations/…`) | whoever holds the mailed link (its token), or is signed in as the invited address | `WorkspaceJoinEndpoint` (token only) |
//! | accept an invitation | the invited address, signed in (with or without the link) | — (Plane accepted with the token alone) |
//! | list one's own invitations | any signed-in user (only invitations to their address) | `UserWorkspaceInvitationsViewSet` |
//!
//! The invitation rules need no workspace membership: what counts is the link or the address.
//! Guests see only the projects they were added to. What a caller may not see answers like what
//! does not exist: an unknown workspace and another workspace both give 403; within a workspace,
//! a project the caller cannot see gives 404 on its own page and 403 on its sub-resources,
//! exactly as an unknown id does.

/// Workspace and project roles, as Plane numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Guest = 5,
    Member = 15,
    Admin = 20,
}

impl Role {
    /// The role stored as `code`; Plane's retired 10 ("viewer") reads as guest.
    pub fn from_code(code: i16) -> Role {
        match code {
            c if c >= 20 => Role::Admin,
            c if c >= 15 => Role::Member,
            _ => Role::Guest,
        }
    }

    /// A role given by a client: only 20, 15 and 5 exist.
    pub fn parse(code: i64) -> Option<Role> {
        match code {
            20 => Some(Role::Admin),
            15 => Some(Role::Member),
            5 => Some(Role::Guest),
            _ => None,
        }
    }

    pub fn code(self) -> i16 {
        self as i16
    }

    pub fn slug(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Guest => "guest",
        }
    }
}

/// The caller's active membership of the workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkspaceStanding {
    pub role: Role,
    pub is_owner: bool,
}

/// The project a request is about, as far as the rules need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectFacts {
    pub is_public: bool,
    /// The caller's active membership of the project.
    pub role: Option<Role>,
}

/// What the caller shows for an invitation, on the invitation-link routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InvitationFacts {
    /// The caller is signed in (as anyone).
    pub signed_in: bool,
    /// The caller sent a token (the mailed link's), right or wrong.
    pub sent_token: bool,
    /// The token sent is this invitation's.
    pub token_matches: bool,
    /// The caller is signed in as the invited address.
    pub is_invitee: bool,
}

impl InvitationFacts {
    /// A sent token must be right; without one, the invitee's session proves it.
    fn proven(&self) -> bool {
        if self.sent_token {
            self.token_matches
        } else {
            self.is_invitee
        }
    }
}

/// Where the caller stands for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Standing {
    /// `None`: not an active member, or no such workspace.
    pub workspace: Option<WorkspaceStanding>,
    /// `None`: no such project in this workspace (or the request is not about one).
    pub project: Option<ProjectFacts>,
    /// The invitation-link routes only: what the caller shows for the invitation.
    pub invitation: Option<InvitationFacts>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ViewWorkspace,
    UpdateWorkspace,
    DeleteWorkspace,
    LeaveWorkspace,
    ListMembers,
    ManageMembers,
    ManageInvitations,
    ListProjects,
    CreateProject,
    ViewProject,
    ManageProject,
    ViewProjectSummary,
    JoinProject,
    ViewProjectMembers,
    ManageProjectMembers,
    LeaveProject,
    ReadProjectData,
    WriteProjectData,
    /// Read an invitation through its link (or as its invitee).
    ViewInvitation,
    DeclineInvitation,
    AcceptInvitation,
    /// List the invitations to the caller's own address.
    ListOwnInvitations,
}

/// Why an action is refused; each has Plane's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 403 `{"detail": "You do not have permission to perform this action."}`
    Forbidden,
    /// 404: the caller may not know the thing exists.
    NotFound,
    /// 401: neither signed in nor holding a link.
    Unauthenticated,
    /// 403 `{"error": "You do not have permission to join the workspace"}`: neither the link
    /// nor the invited address.
    NotInvited,
    /// 403: the link, but signed in as someone else than the invited address.
    WrongAccount,
    /// 403: the link, but not signed in as the invited address, which accepting needs.
    SignInFirst,
}

impl Standing {
    fn role_at_least(&self, role: Role) -> bool {
        self.workspace.is_some_and(|w| w.role >= role)
    }

    fn project_role(&self) -> Option<Role> {
        self.project.and_then(|p| p.role)
    }

    /// Members see their projects; admins and members of the workspace see public ones too.
    fn sees_project(&self) -> bool {
        match self.project {
            Some(project) => {
                project.role.is_some() || (project.is_public && self.role_at_least(Role::Member))
            }
            None => false,
        }
    }

    /// Project admins, and workspace admins who are members of the project.
    fn administers_project(&self) -> bool {
        match self.project_role() {
            Some(Role::Admin) => true,
            Some(_) => self.role_at_least(Role::Admin),
            None => false,
        }
    }
}

/// Whether a caller who may manage a project's members may change or end this one's membership
/// (project role `target_role`): a workspace admin any; a project admin who is only a workspace
/// member those below their own role (as Plane's app: a fellow project admin, perhaps a
/// workspace admin, is not theirs to demote or remove).
pub fn outranks(standing: &Standing, target_role: i16) -> bool {
    standing.role_at_least(Role::Admin)
        || standing
            .project_role()
            .is_some_and(|own| own.code() > target_role)
}

/// The invitation-link rules: the link or the invited address, not membership.
fn decide_invitation(action: Action, facts: Option<InvitationFacts>) -> Result<(), Refusal> {
    let facts = facts.unwrap_or_default();
    if !facts.signed_in && !facts.sent_token {
        return Err(Refusal::Unauthenticated);
    }
    match action {
        Action::ListOwnInvitations => Ok(()),
        _ if !facts.proven() => Err(Refusal::NotInvited),
        Action::AcceptInvitation if !facts.is_invitee => Err(if facts.signed_in {
            Refusal::WrongAccount
        } else {
            Refusal::SignInFirst
        }),
        _ => Ok(()),
    }
}

/// Whether the caller's project lists show the workspace's public projects besides their own
/// (the same rule as seeing one: admins and members do, guests see only their projects).
pub fn lists_public_projects(workspace: WorkspaceStanding) -> bool {
    workspace.role >= Role::Member
}

/// Whether a user may create a workspace: anyone, unless the instance keeps it to its admins.
pub fn may_create_workspace(creation_disabled: bool, is_instance_admin: bool) -> bool {
    !creation_disabled || is_instance_admin
}

/// May the caller do `action`?
pub fn decide(action: Action, standing: &Standing) -> Result<(), Refusal> {
    use Action::*;
    if matches!(
        action,
        ViewInvitation | DeclineInvitation | AcceptInvitation | ListOwnInvitations
    ) {
        return decide_invitation(action, standing.invitation);
    }
    let Some(workspace) = standing.workspace else {
        return Err(Refusal::Forbidden);
    };
    let allowed = match action {
        ViewWorkspace | ListProjects | LeaveWorkspace => true,
        CreateProject | ListMembers => workspace.role >= Role::Member,
        UpdateWorkspace | ManageMembers | ManageInvitations => workspace.role == Role::Admin,
        DeleteWorkspace => workspace.is_owner,
        ViewProject => {
            return if standing.sees_project() {
                Ok(())
            } else {
                Err(Refusal::NotFound)
            };
        }
        ViewProjectSummary => {
            if workspace.role < Role::Member {
                return Err(Refusal::Forbidden);
            }
            return if standing.sees_project() {
                Ok(())
            } else {
                Err(Refusal::NotFound)
            };
        }
        JoinProject => {
            if workspace.role < Role::Member {
                return Err(Refusal::Forbidden);
            }
            return match standing.project {
                Some(p) if p.is_public || workspace.role == Role::Admin => Ok(()),
                _ => Err(Refusal::NotFound),
            };
        }
        ManageProject | ManageProjectMembers => standing.administers_project(),
        ViewProjectMembers => standing.sees_project(),
        LeaveProject | ReadProjectData => standing.project_role().is_some(),
        WriteProjectData => standing.project_role().is_some_and(|r| r >= Role::Member),
        ViewInvitation | DeclineInvitation | AcceptInvitation | ListOwnInvitations => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(Refusal::Forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;

    fn standing(ws: Option<Role>, owner: bool, project: Option<(bool, Option<Role>)>) -> Standing {
        Standing {
            workspace: ws.map(|role| WorkspaceStanding {
                role,
                is_owner: owner,
            }),
            project: project.map(|(is_public, role)| ProjectFacts { is_public, role }),
            invitation: None,
        }
    }

    #[test]
    fn guests_list_only_their_projects_and_creation_can_be_kept_to_admins() {
        let ws = |role| WorkspaceStanding {
            role,
            is_owner: false,
        };
        assert!(lists_public_projects(ws(Role::Admin)));
        assert!(lists_public_projects(ws(Role::Member)));
        assert!(!lists_public_projects(ws(Role::Guest)));
        assert!(may_create_workspace(false, false));
        assert!(may_create_workspace(true, true));
        assert!(!may_create_workspace(true, false));
    }

    fn holding(
        signed_in: bool,
        sent_token: bool,
        token_matches: bool,
        is_invitee: bool,
    ) -> Standing {
        Standing {
            invitation: Some(InvitationFacts {
                signed_in,
                sent_token,
                token_matches,
                is_invitee,
            }),
            ..Standing::default()
        }
    }

    #[test]
    fn invitations_need_the_link_or_the_address() {
        let anonymous = holding(false, false, false, false);
        let link = holding(false, true, true, false);
        let wrong_link = holding(false, true, false, false);
        let invitee = holding(true, false, false, true);
        let invitee_wrong_link = holding(true, true, false, true);
        let someone_with_link = holding(true, true, true, false);
        let someone = holding(true, false, false, false);
        for action in [ViewInvitation, DeclineInvitation, AcceptInvitation] {
            assert_eq!(decide(action, &anonymous), Err(Refusal::Unauthenticated));
            assert_eq!(decide(action, &wrong_link), Err(Refusal::NotInvited));
            assert_eq!(
                decide(action, &invitee_wrong_link),
                Err(Refusal::NotInvited)
            );
            assert_eq!(decide(action, &someone), Err(Refusal::NotInvited));
            assert!(decide(action, &invitee).is_ok(), "{action:?}");
        }
        for action in [ViewInvitation, DeclineInvitation] {
            assert!(decide(action, &link).is_ok());
            assert!(decide(action, &someone_with_link).is_ok());
        }
        assert_eq!(decide(AcceptInvitation, &link), Err(Refusal::SignInFirst));
        assert_eq!(
            decide(AcceptInvitation, &someone_with_link),
            Err(Refusal::WrongAccount)
        );
        assert!(decide(ListOwnInvitations, &someone).is_ok());
        assert_eq!(
            decide(ListOwnInvitations, &anonymous),
            Err(Refusal::Unauthenticated)
        );
        // Membership is no substitute.
        let member = standing(Some(Role::Admin), true, None);
        assert_eq!(
            decide(ViewInvitation, &member),
            Err(Refusal::Unauthenticated)
        );
    }

    #[test]
    fn outsiders_get_nothing() {
        let outsider = standing(None, false, Some((true, None)));
        for action in [
            ViewWorkspace,
            ListProjects,
            ViewProject,
            ReadProjectData,
            JoinProject,
        ] {
            assert_eq!(
                decide(action, &outsider),
                Err(Refusal::Forbidden),
                "{action:?}"
            );
        }
    }

    #[test]
    fn workspace_roles() {
        let admin = standing(Some(Role::Admin), false, None);
        let owner = standing(Some(Role::Admin), true, None);
        let member = standing(Some(Role::Member), false, None);
        let guest = standing(Some(Role::Guest), false, None);
        assert!(decide(DeleteWorkspace, &owner).is_ok());
        assert_eq!(decide(DeleteWorkspace, &admin), Err(Refusal::Forbidden));
        assert!(decide(ManageInvitations, &admin).is_ok());
        assert_eq!(decide(ManageInvitations, &member), Err(Refusal::Forbidden));
        assert!(decide(CreateProject, &member).is_ok());
        assert_eq!(decide(CreateProject, &guest), Err(Refusal::Forbidden));
        assert_eq!(decide(ListMembers, &guest), Err(Refusal::Forbidden));
        assert!(decide(ListProjects, &guest).is_ok());
    }

    #[test]
    fn project_visibility() {
        let public_member = standing(Some(Role::Member), false, Some((true, None)));
        let secret_member = standing(Some(Role::Member), false, Some((false, None)));
        let public_guest = standing(Some(Role::Guest), false, Some((true, None)));
        let unknown = standing(Some(Role::Admin), false, None);
        assert!(decide(ViewProject, &public_member).is_ok());
        assert_eq!(decide(ViewProject, &secret_member), Err(Refusal::NotFound));
        assert_eq!(decide(ViewProject, &public_guest), Err(Refusal::NotFound));
        assert_eq!(decide(ViewProject, &unknown), Err(Refusal::NotFound));
        // Seeing a public project is not being in it.
        assert_eq!(
            decide(ReadProjectData, &public_member),
            Err(Refusal::Forbidden)
        );
        assert!(decide(JoinProject, &public_member).is_ok());
        assert_eq!(decide(JoinProject, &secret_member), Err(Refusal::NotFound));
        let secret_admin = standing(Some(Role::Admin), false, Some((false, None)));
        assert!(decide(JoinProject, &secret_admin).is_ok());
    }

    #[test]
    fn project_roles() {
        let project_admin = standing(Some(Role::Member), false, Some((true, Some(Role::Admin))));
        let ws_admin_in_project =
            standing(Some(Role::Admin), false, Some((true, Some(Role::Guest))));
        let ws_admin_outside = standing(Some(Role::Admin), false, Some((true, None)));
        let project_member = standing(Some(Role::Member), false, Some((true, Some(Role::Member))));
        let project_guest = standing(Some(Role::Guest), false, Some((false, Some(Role::Guest))));
        assert!(decide(ManageProject, &project_admin).is_ok());
        assert!(decide(ManageProject, &ws_admin_in_project).is_ok());
        assert_eq!(
            decide(ManageProject, &ws_admin_outside),
            Err(Refusal::Forbidden)
        );
        assert_eq!(
            decide(ManageProject, &project_member),
            Err(Refusal::Forbidden)
        );
        assert!(decide(WriteProjectData, &project_member).is_ok());
        assert_eq!(
            decide(WriteProjectData, &project_guest),
            Err(Refusal::Forbidden)
        );
        assert!(decide(ReadProjectData, &project_guest).is_ok());
        assert!(decide(ViewProject, &project_guest).is_ok());

        // A project admin who is a workspace member manages those below them only.
        assert!(outranks(&project_admin, Role::Member.code()));
        assert!(!outranks(&project_admin, Role::Admin.code()));
        assert!(outranks(&ws_admin_in_project, Role::Admin.code()));
    }

    #[test]
    fn roles_round_trip() {
        for role in [Role::Guest, Role::Member, Role::Admin] {
            assert_eq!(Role::parse(role.code() as i64), Some(role));
            assert_eq!(Role::from_code(role.code()), role);
        }
        assert_eq!(Role::from_code(10), Role::Guest);
        assert_eq!(Role::parse(10), None);
    }
}
