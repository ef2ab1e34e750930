// After sign-in: the user's workspaces, invitations waiting for an answer, and the instance.
import { useState } from "react";
import type { ReadinessResult } from "../api";
import { useSession } from "../auth/session";
import { Loading, useToast } from "../components/feedback";
import { FolderIcon, MailIcon, PlusIcon } from "../components/icons";
import { InstanceStatus } from "../components/InstanceStatus";
import { WorkspaceLogo } from "../components/marks";
import { Modal } from "../components/overlay";
import { Button, Card, Link } from "../components/ui";
import { api, asApiError } from "../lib/http";
import { roleName } from "../lib/roles";
import type { InvitationAnswered, InvitationPreview } from "../lib/types";
import { useResource } from "../lib/useResource";
import { useWorkspaces } from "../lib/workspaces";
import { CreateWorkspaceForm } from "./workspace/CreateWorkspaceForm";

type Props = { readiness: ReadinessResult | null };

export function Home({ readiness }: Props) {
  const { user } = useSession();
  const { workspaces } = useWorkspaces();
  const [creating, setCreating] = useState(false);
  const name = user?.first_name || user?.display_name;
  return (
    <div className="page">
      <section className="hero">
        <h1 data-testid="greeting">{name ? `Welcome, ${name}` : "Plane"}</h1>
        <p>Projects, work items, cycles and pages for your team, served by one self-contained program.</p>
      </section>
      <PendingInvitations />
      <section className="section" aria-labelledby="workspaces-title">
        <div className="section-head">
          <h2 id="workspaces-title">Your workspaces</h2>
          {workspaces && workspaces.length > 0 && (
            <Button variant="secondary" onClick={() => setCreating(true)}>
              <PlusIcon /> Create workspace
            </Button>
          )}
        </div>
        {workspaces === undefined ? (
          <Loading />
        ) : workspaces.length === 0 ? (
          <Card testId="first-workspace">
            <div className="split">
              <div className="split-intro">
                <div className="empty-icon">
                  <FolderIcon size={22} />
                </div>
                <h3>Create your first workspace</h3>
                <p className="muted">A workspace holds your team's projects and members. Create one, then invite the people you work with.</p>
              </div>
              <div className="split-form">
                <CreateWorkspaceForm autoFocus={false} />
              </div>
            </div>
          </Card>
        ) : (
          <div className="workspace-grid" data-testid="workspaces">
            {workspaces.map((w) => (
              <Link key={w.id} href={`/${w.slug}/`} className="workspace-card">
                <WorkspaceLogo name={w.name} seed={w.slug} size={40} />
                <span className="workspace-card-text">
                  <strong>{w.name}</strong>
                  <span className="muted">
                    {roleName(w.role)} · {w.total_members} {w.total_members === 1 ? "member" : "members"}
                  </span>
                </span>
              </Link>
            ))}
          </div>
        )}
      </section>
      <div className="cards">
        <section className="card" aria-labelledby="status-title">
          <h2 id="status-title">This instance</h2>
          <InstanceStatus readiness={readiness} />
        </section>
        <section className="card" aria-labelledby="dev-title">
          <h2 id="dev-title">Developers</h2>
          <p className="muted">
            The REST API answers like Plane's API v1, so Plane's SDKs and scripts work with an API key in the <code>X-API-Key</code> header.
          </p>
          <ul className="links">
            <li>
              <a href="/api/schema/swagger-ui/">Interactive API reference (Swagger UI)</a>
            </li>
            <li>
              <a href="/api/schema/redoc/">API documentation (ReDoc)</a>
            </li>
            <li>
              <a href="/api/schema/">OpenAPI document (JSON)</a>
            </li>
          </ul>
        </section>
      </div>
      {creating && (
        <Modal title="Create a workspace" description="You become its owner and first admin." onClose={() => setCreating(false)} testId="create-workspace-dialog">
          <CreateWorkspaceForm onCancel={() => setCreating(false)} />
        </Modal>
      )}
    </div>
  );
}

function PendingInvitations() {
  const invitations = useResource<InvitationPreview[]>("/api/users/me/workspace-invitations/");
  const { reload } = useWorkspaces();
  const toast = useToast();
  const [answering, setAnswering] = useState<string | null>(null);
  const list = invitations.data ?? [];
  if (list.length === 0) return null;

  const answer = async (invitation: InvitationPreview, accepted: boolean) => {
    setAnswering(invitation.id);
    try {
      const result = await api.post<InvitationAnswered>(`/api/workspace-invitations/${invitation.id}/join/`, { accepted });
      if (accepted) {
        await reload();
        toast.success(`You joined ${result.workspace.name}.`);
      } else {
        toast.success(`Invitation to ${result.workspace.name} declined.`);
      }
    } catch (e) {
      toast.error(asApiError(e).message);
    } finally {
      setAnswering(null);
      await invitations.reload();
    }
  };

  return (
    <section className="section" aria-labelledby="invitations-title">
      <div className="section-head">
        <h2 id="invitations-title">
          Invitations <span className="count">{list.length}</span>
        </h2>
      </div>
      <div className="list-card" data-testid="pending-invitations">
        {list.map((invitation) => (
          <div key={invitation.id} className="list-row" data-testid="pending-invitation">
            <WorkspaceLogo name={invitation.workspace.name} seed={invitation.workspace.slug} size={32} />
            <div className="list-row-main">
              <strong>{invitation.workspace.name}</strong>
              <span className="muted">
                {invitation.invited_by ? `${invitation.invited_by} invited you` : "You are invited"} as {roleName(invitation.role).toLowerCase()}
              </span>
            </div>
            <div className="row-actions">
              <Button variant="secondary" size="sm" disabled={answering !== null} onClick={() => void answer(invitation, false)}>
                Decline
              </Button>
              <Button size="sm" busy={answering === invitation.id} disabled={answering !== null} onClick={() => void answer(invitation, true)}>
                Accept
              </Button>
            </div>
          </div>
        ))}
      </div>
      {list.length > 0 && (
        <p className="muted small-note">
          <MailIcon size={13} /> Invitations sent to {list[0]?.email}.
        </p>
      )}
    </section>
  );
}
