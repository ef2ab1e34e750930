// `/:slug/…`: a workspace with its sidebar; picks the screen from the rest of the path.
import { useEffect, useMemo } from "react";
import { useSession } from "../../auth/session";
import { ErrorState, Loading } from "../../components/feedback";
import { FolderIcon, MailIcon, SettingsIcon, UsersIcon } from "../../components/icons";
import { ProjectMark, WorkspaceLogo } from "../../components/marks";
import { Button, Link } from "../../components/ui";
import { roleName } from "../../lib/roles";
import type { Paged, Project, Workspace } from "../../lib/types";
import { useResource } from "../../lib/useResource";
import { navigate } from "../../router";
import { ProjectSettings } from "../project/ProjectSettings";
import { WorkspaceContext, projectsPath, useWorkspace, type WorkspaceState } from "./context";
import { ProjectsView } from "./ProjectsView";
import { GeneralSettings } from "./settings/GeneralSettings";
import { InvitationsSettings } from "./settings/InvitationsSettings";
import { MembersSettings } from "./settings/MembersSettings";

type Props = { slug: string; rest: string[] };

export function WorkspaceScreen({ slug, rest }: Props) {
  const { user } = useSession();
  const workspace = useResource<Workspace>(`/api/v1/workspaces/${slug}/`);
  const projects = useResource<Paged<Project>>(projectsPath(slug));

  const state = useMemo<WorkspaceState | null>(() => {
    const w = workspace.data;
    if (!w) return null;
    return {
      workspace: w,
      reloadWorkspace: workspace.reload,
      projects,
      isAdmin: w.role >= 20,
      isMember: w.role >= 15,
      isOwner: w.owner === user?.id,
    };
  }, [workspace.data, workspace.reload, projects, user?.id]);

  if (workspace.error) {
    // An unknown workspace and someone else's answer alike (403), so as not to tell them apart.
    const missing = workspace.error.status === 403 || workspace.error.status === 404;
    return (
      <div className="page narrow" data-testid={missing ? "not-found" : undefined}>
        {missing ? (
          <>
            <h1>Workspace not found</h1>
            <p className="muted">
              There is no workspace at <code>/{slug}</code>, or you are not a member of it. Ask one of its admins for an invitation.
            </p>
          </>
        ) : (
          <ErrorState error={workspace.error} what="this workspace" />
        )}
        <Button onClick={() => navigate("/")}>Go to the home page</Button>
      </div>
    );
  }
  if (!state) return <Loading />;
  return (
    <WorkspaceContext.Provider value={state}>
      <div className="workspace-shell">
        <Sidebar rest={rest} />
        <div className="workspace-content">
          <Screen rest={rest} />
        </div>
      </div>
    </WorkspaceContext.Provider>
  );
}

function Screen({ rest }: { rest: string[] }) {
  const [first, second, third, fourth] = rest;
  const { workspace } = useWorkspace();
  const projectRedirect = first === "projects" && second && !third;
  useEffect(() => {
    if (projectRedirect) navigate(`/${workspace.slug}/projects/${second}/settings`, { replace: true });
  }, [projectRedirect, workspace.slug, second]);
  if (!first || (first === "projects" && !second)) return <ProjectsView />;
  if (first === "projects" && second && third === "settings") return <ProjectSettings key={second} projectId={second} tab={fourth ?? ""} />;
  if (projectRedirect) return null;
  if (first === "settings" && !second) return <GeneralSettings />;
  if (first === "settings" && second === "members") return <MembersSettings />;
  if (first === "settings" && second === "invitations") return <InvitationsSettings />;
  return (
    <div className="content-page" data-testid="not-found">
      <h1 className="page-title">Page not found</h1>
      <p className="muted">There is nothing here in {workspace.name}.</p>
      <Link href={`/${workspace.slug}/`} className="button button-secondary">
        Back to projects
      </Link>
    </div>
  );
}

function Sidebar({ rest }: { rest: string[] }) {
  const { workspace, projects, isAdmin, isMember } = useWorkspace();
  const base = `/${workspace.slug}`;
  const [first, second, third] = rest;
  const inSettings = first === "settings";
  const joined = (projects.data?.results ?? []).filter((p) => p.is_member && !p.archived_at);
  const item = (href: string, label: string, icon: React.ReactNode, active: boolean, testId?: string) => (
    <Link href={href} className={active ? "side-item side-item-active" : "side-item"} aria-current={active ? "page" : undefined} data-testid={testId}>
      {icon}
      <span>{label}</span>
    </Link>
  );
  return (
    <aside className="sidebar" aria-label={`${workspace.name} navigation`}>
      <div className="sidebar-head">
        <WorkspaceLogo name={workspace.name} seed={workspace.slug} size={32} />
        <div className="sidebar-title">
          <strong data-testid="workspace-name">{workspace.name}</strong>
          <span className="muted">
            {roleName(workspace.role)} · {workspace.total_members} {workspace.total_members === 1 ? "member" : "members"}
          </span>
        </div>
      </div>
      <nav className="side-nav">
        {item(`${base}/`, "Projects", <FolderIcon />, !first || (first === "projects" && !third), "nav-projects")}
        {item(`${base}/settings`, "Settings", <SettingsIcon />, inSettings && !second, "nav-settings")}
        {inSettings && (
          <div className="side-sub">
            {isMember && item(`${base}/settings/members`, "Members", <UsersIcon />, second === "members", "nav-members")}
            {isAdmin && item(`${base}/settings/invitations`, "Invitations", <MailIcon />, second === "invitations", "nav-invitations")}
          </div>
        )}
      </nav>
      <div className="side-section">
        <div className="side-label">Your projects</div>
        {joined.length === 0 ? (
          <p className="side-empty muted">Projects you join appear here.</p>
        ) : (
          joined.map((p) => (
            <Link
              key={p.id}
              href={`${base}/projects/${p.id}/settings`}
              className={first === "projects" && second === p.id ? "side-item side-item-active" : "side-item"}
              title={p.name}
            >
              <ProjectMark project={p} size={20} />
              <span className="side-item-text">{p.name}</span>
            </Link>
          ))
        )}
      </div>
    </aside>
  );
}
