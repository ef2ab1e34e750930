// `/:slug/projects/:id/settings/:tab`: a project's settings, by tab. Who may change what is the
// server's call; the screens hide what the caller cannot do and show the server's refusals.
import { useState } from "react";
import { ErrorState, Loading, useToast } from "../../components/feedback";
import { GlobeIcon, LockIcon } from "../../components/icons";
import { ProjectMark } from "../../components/marks";
import { Alert, Badge, Button, Link, Tabs } from "../../components/ui";
import { api, asApiError } from "../../lib/http";
import { roleName } from "../../lib/roles";
import type { Project } from "../../lib/types";
import { useResource } from "../../lib/useResource";
import { projectPath, useWorkspace } from "../workspace/context";
import { EstimatesTab } from "./EstimatesTab";
import { FeaturesTab } from "./FeaturesTab";
import { GeneralTab } from "./GeneralTab";
import { LabelsTab } from "./LabelsTab";
import { MembersTab } from "./MembersTab";
import { StatesTab } from "./StatesTab";

const TABS = [
  { id: "", label: "General" },
  { id: "features", label: "Features" },
  { id: "members", label: "Members" },
  { id: "states", label: "States" },
  { id: "labels", label: "Labels" },
  { id: "estimates", label: "Estimates" },
];

/** What the screens of one project get. */
export type ProjectProps = {
  slug: string;
  project: Project;
  /** The project's API path, without the trailing slash. */
  base: string;
  reload: () => Promise<void>;
  /** Project admin (or workspace admin who is a member): settings, members, archive. */
  canManage: boolean;
  /** Admin or member of the project, and the project is not archived: states, labels, estimates. */
  canWrite: boolean;
};

export function ProjectSettings({ projectId, tab }: { projectId: string; tab: string }) {
  const { workspace, projects, isAdmin } = useWorkspace();
  const toast = useToast();
  const base = projectPath(workspace.slug, projectId);
  const project = useResource<Project>(`${base}/`);
  const [restoring, setRestoring] = useState(false);

  if (project.error) {
    return (
      <div className="content-page">
        <ErrorState error={project.error} what="this project" />
        <Link href={`/${workspace.slug}/`} className="button button-secondary">
          Back to projects
        </Link>
      </div>
    );
  }
  const p = project.data;
  if (!p) return <Loading />;

  const reload = async () => {
    await Promise.all([project.reload(), projects.reload()]);
  };
  const archived = p.archived_at !== null;
  const role = p.member_role;
  const canManage = role !== null && (role >= 20 || isAdmin);
  const canWrite = role !== null && role >= 15 && !archived;
  const props: ProjectProps = { slug: workspace.slug, project: p, base, reload, canManage, canWrite };
  const active = TABS.some((t) => t.id === tab) ? tab : "";

  const restore = async () => {
    setRestoring(true);
    try {
      await api.delete(`${base}/archive/`);
      await reload();
      toast.success(`${p.name} is active again.`);
    } catch (e) {
      toast.error(asApiError(e).message);
    } finally {
      setRestoring(false);
    }
  };

  return (
    <div className="content-page">
      <div className="project-head">
        <ProjectMark project={p} size={40} />
        <div className="project-head-text">
          <div className="project-title">
            <h1 data-testid="project-name">{p.name}</h1>
            <code className="identifier">{p.identifier}</code>
            {archived && <Badge tone="warning">Archived</Badge>}
          </div>
          <div className="project-meta muted">
            <span>
              {p.network === 0 ? <LockIcon size={14} /> : <GlobeIcon size={14} />} {p.network === 0 ? "Secret" : "Public"}
            </span>
            <span>
              {p.total_members} {p.total_members === 1 ? "member" : "members"}
            </span>
            <span>{p.is_member ? `You are ${roleName(role).toLowerCase() === "admin" ? "an admin" : `a ${roleName(role).toLowerCase()}`}` : "You are not a member"}</span>
          </div>
        </div>
      </div>
      {!p.is_member ? (
        <NotMember project={p} slug={workspace.slug} onJoined={reload} />
      ) : (
        <>
          {archived && (
            <div className="banner banner-warning" data-testid="archived-banner">
              <span>This project is archived: it is read-only until it is restored.</span>
              {canManage && (
                <Button size="sm" variant="secondary" busy={restoring} onClick={() => void restore()}>
                  Restore project
                </Button>
              )}
            </div>
          )}
          <Tabs tabs={TABS} active={active} base={`/${workspace.slug}/projects/${p.id}/settings`} />
          <div className="tab-body">
            {active === "features" ? (
              <FeaturesTab {...props} />
            ) : active === "members" ? (
              <MembersTab {...props} />
            ) : active === "states" ? (
              <StatesTab {...props} />
            ) : active === "labels" ? (
              <LabelsTab {...props} />
            ) : active === "estimates" ? (
              <EstimatesTab {...props} />
            ) : (
              <GeneralTab {...props} />
            )}
          </div>
        </>
      )}
    </div>
  );
}

function NotMember({ project, slug, onJoined }: { project: Project; slug: string; onJoined: () => Promise<void> }) {
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  const join = async () => {
    setBusy(true);
    try {
      await api.post(`/api/v1/workspaces/${slug}/projects/${project.id}/join/`);
      await onJoined();
      toast.success(`You joined ${project.name}.`);
    } catch (e) {
      toast.error(asApiError(e).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="empty-state" data-testid="not-member">
      <h3>You are not a member of this project</h3>
      <p className="muted">{project.description || "Join it to see its states, labels and settings."}</p>
      <div className="empty-action">
        <Button busy={busy} onClick={() => void join()}>
          Join project
        </Button>
      </div>
      {project.archived_at && <Alert tone="info">This project is archived.</Alert>}
    </div>
  );
}
