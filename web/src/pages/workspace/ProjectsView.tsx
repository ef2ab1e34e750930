// A workspace's projects: the ones the user is in, the public ones they may join, archived ones.
import { useState } from "react";
import { EmptyState, ErrorState, Loading, useToast } from "../../components/feedback";
import { ArchiveIcon, FolderIcon, GlobeIcon, LockIcon, PlusIcon, UsersIcon } from "../../components/icons";
import { ProjectMark } from "../../components/marks";
import { Badge, Button, Link } from "../../components/ui";
import { api, asApiError } from "../../lib/http";
import { roleName } from "../../lib/roles";
import type { Project } from "../../lib/types";
import { navigate } from "../../router";
import { useWorkspace } from "./context";
import { CreateProjectDialog } from "./CreateProjectDialog";

type Filter = "active" | "archived";

export function ProjectsView() {
  const { workspace, projects, isMember } = useWorkspace();
  const toast = useToast();
  const [creating, setCreating] = useState(false);
  const [filter, setFilter] = useState<Filter>("active");
  const [query, setQuery] = useState("");
  const [joining, setJoining] = useState<string | null>(null);

  const all = projects.data?.results ?? [];
  const archived = all.filter((p) => p.archived_at);
  const active = all.filter((p) => !p.archived_at);
  const needle = query.trim().toLowerCase();
  const shown = (filter === "active" ? active : archived).filter((p) => !needle || p.name.toLowerCase().includes(needle) || p.identifier.toLowerCase().includes(needle));

  const join = async (project: Project) => {
    setJoining(project.id);
    try {
      await api.post(`/api/v1/workspaces/${workspace.slug}/projects/${project.id}/join/`);
      await projects.reload();
      toast.success(`You joined ${project.name}.`);
    } catch (e) {
      toast.error(asApiError(e).message);
    } finally {
      setJoining(null);
    }
  };

  return (
    <div className="content-page">
      <div className="content-head">
        <div>
          <h1 className="page-title">Projects</h1>
          <p className="muted page-lead">
            {isMember ? "Projects you are in, and the public projects of the workspace you can join." : "The projects you were added to."}
          </p>
        </div>
        {isMember && (
          <Button onClick={() => setCreating(true)} data-testid="new-project">
            <PlusIcon /> New project
          </Button>
        )}
      </div>
      {projects.error ? (
        <ErrorState error={projects.error} what="the projects of this workspace" />
      ) : !projects.data ? (
        <Loading />
      ) : all.length === 0 ? (
        <EmptyState
          icon={<FolderIcon size={22} />}
          title="No projects yet"
          testId="projects-empty"
          action={
            isMember ? (
              <Button onClick={() => setCreating(true)}>
                <PlusIcon /> Create the first project
              </Button>
            ) : undefined
          }
        >
          {isMember ? "Projects hold work items, cycles and pages. Create one to get your team started." : "An admin or member of the workspace can add you to a project."}
        </EmptyState>
      ) : (
        <>
          <div className="toolbar">
            <div className="segmented" role="tablist" aria-label="Which projects">
              <button type="button" role="tab" aria-selected={filter === "active"} className={filter === "active" ? "segment segment-active" : "segment"} onClick={() => setFilter("active")}>
                Active <span className="count">{active.length}</span>
              </button>
              <button type="button" role="tab" aria-selected={filter === "archived"} className={filter === "archived" ? "segment segment-active" : "segment"} onClick={() => setFilter("archived")}>
                Archived <span className="count">{archived.length}</span>
              </button>
            </div>
            <input className="search" type="search" placeholder="Filter by name or identifier" aria-label="Filter projects" value={query} onChange={(e) => setQuery(e.target.value)} />
          </div>
          {shown.length === 0 ? (
            <EmptyState icon={<ArchiveIcon size={22} />} title={needle ? "No project matches" : filter === "archived" ? "No archived projects" : "No active projects"}>
              {needle ? "Try another name or identifier." : filter === "archived" ? "Archived projects stay here, read-only, until someone restores them." : "Every project of this workspace is archived."}
            </EmptyState>
          ) : (
            <div className="list-card" data-testid="projects">
              {shown.map((p) => (
                <ProjectRow key={p.id} project={p} slug={workspace.slug} joining={joining === p.id} onJoin={() => void join(p)} />
              ))}
            </div>
          )}
        </>
      )}
      {creating && (
        <CreateProjectDialog
          slug={workspace.slug}
          onClose={() => setCreating(false)}
          onCreated={(project) => {
            setCreating(false);
            void projects.reload();
            toast.success(`Project ${project.name} created.`);
            navigate(`/${workspace.slug}/projects/${project.id}/settings`);
          }}
        />
      )}
    </div>
  );
}

function ProjectRow({ project, slug, joining, onJoin }: { project: Project; slug: string; joining: boolean; onJoin: () => void }) {
  const href = `/${slug}/projects/${project.id}/settings`;
  return (
    <div className="list-row project-row" data-testid={`project-${project.identifier}`}>
      <ProjectMark project={project} size={32} />
      <div className="list-row-main">
        <div className="project-title">
          {project.is_member ? (
            <Link href={href} className="row-link">
              {project.name}
            </Link>
          ) : (
            <span>{project.name}</span>
          )}
          <code className="identifier">{project.identifier}</code>
          {project.archived_at && (
            <Badge tone="warning" testId="archived-badge">
              Archived
            </Badge>
          )}
        </div>
        {project.description && <span className="muted ellipsis">{project.description}</span>}
      </div>
      <div className="project-meta muted">
        <span title={project.network === 0 ? "Secret: only its members see it" : "Public: workspace members can join"}>
          {project.network === 0 ? <LockIcon size={14} /> : <GlobeIcon size={14} />}
          {project.network === 0 ? "Secret" : "Public"}
        </span>
        <span title="Members">
          <UsersIcon size={14} />
          {project.total_members}
        </span>
        {project.is_member && <span className="role-chip">{roleName(project.member_role)}</span>}
      </div>
      <div className="row-actions">
        {project.is_member ? (
          <Link href={href} className="button button-secondary button-sm">
            Settings
          </Link>
        ) : (
          <Button size="sm" busy={joining} onClick={onJoin}>
            Join
          </Button>
        )}
      </div>
    </div>
  );
}
