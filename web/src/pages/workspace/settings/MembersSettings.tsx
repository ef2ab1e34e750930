// Workspace members: everyone can see them; admins change roles and remove people.
import { useState } from "react";
import { useSession } from "../../../auth/session";
import { ErrorState, Loading, useToast } from "../../../components/feedback";
import { PlusIcon } from "../../../components/icons";
import { ConfirmDialog } from "../../../components/overlay";
import { Avatar, Badge, Button, Link } from "../../../components/ui";
import { ApiError, api, asApiError } from "../../../lib/http";
import { ROLES, roleName } from "../../../lib/roles";
import { displayName } from "../../../lib/text";
import type { Member } from "../../../lib/types";
import { useResource } from "../../../lib/useResource";
import { useWorkspaces } from "../../../lib/workspaces";
import { navigate } from "../../../router";
import { useWorkspace } from "../context";

export function MembersSettings() {
  const { workspace, isAdmin, isMember, reloadWorkspace } = useWorkspace();
  const { user } = useSession();
  const { reload: reloadList } = useWorkspaces();
  const toast = useToast();
  const members = useResource<Member[]>(isMember ? `/api/v1/workspaces/${workspace.slug}/members/` : null);
  const [removing, setRemoving] = useState<Member | "me" | null>(null);
  const [confirmError, setConfirmError] = useState<string | null>(null);

  if (!isMember) {
    return (
      <div className="content-page">
        <h1 className="page-title">Members</h1>
        <ErrorState error={new ApiError(403, null, "")} what="the members of this workspace" />
      </div>
    );
  }

  const active = (members.data ?? []).filter((m) => m.is_active && !m.is_bot);
  const former = (members.data ?? []).filter((m) => !m.is_active && !m.is_bot).length;

  const changeRole = async (member: Member, role: number) => {
    try {
      await api.patch(`/api/v1/workspaces/${workspace.slug}/members/${member.id}/`, { role });
      toast.success(`${displayName(member)} is now ${roleName(role).toLowerCase()}.`);
      if (member.id === user?.id) await reloadWorkspace();
    } catch (e) {
      toast.error(asApiError(e).message);
    }
    await members.reload();
  };

  const confirmRemove = async () => {
    setConfirmError(null);
    try {
      if (removing === "me") {
        await api.post(`/api/v1/workspaces/${workspace.slug}/members/leave/`);
        await reloadList();
        navigate("/", { replace: true });
        toast.success(`You left ${workspace.name}.`);
        return;
      }
      if (removing) {
        await api.delete(`/api/v1/workspaces/${workspace.slug}/members/${removing.id}/`);
        toast.success(`${displayName(removing)} was removed.`);
      }
      setRemoving(null);
      await Promise.all([members.reload(), reloadWorkspace()]);
    } catch (e) {
      setConfirmError(asApiError(e).message);
    }
  };

  return (
    <div className="content-page">
      <div className="content-head">
        <div>
          <h1 className="page-title">Members</h1>
          <p className="muted page-lead">{isAdmin ? "Change what people can do, or remove them from the workspace." : "The people in this workspace. Admins manage roles."}</p>
        </div>
        {isAdmin && (
          <Link href={`/${workspace.slug}/settings/invitations`} className="button button-primary">
            <PlusIcon /> Invite people
          </Link>
        )}
      </div>
      {members.error ? (
        <ErrorState error={members.error} what="the members" />
      ) : !members.data ? (
        <Loading />
      ) : (
        <div className="table-card">
          <table className="table" data-testid="workspace-members">
            <thead>
              <tr>
                <th>Member</th>
                <th>Role</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {active.map((m) => {
                const isSelf = m.id === user?.id;
                const isOwnerRow = m.id === workspace.owner;
                return (
                  <tr key={m.id} data-testid={`member-${m.email}`}>
                    <td>
                      <div className="person">
                        <Avatar name={displayName(m)} url={m.avatar_url} size={32} />
                        <div>
                          <strong>{displayName(m)}</strong>
                          {isSelf && <span className="muted"> (you)</span>}
                          {isOwnerRow && <Badge tone="neutral">Owner</Badge>}
                          <div className="muted small-text">{m.email}</div>
                        </div>
                      </div>
                    </td>
                    <td className="role-cell">
                      {isAdmin && !isOwnerRow && !isSelf ? (
                        <select className="inline-select" aria-label={`Role of ${displayName(m)}`} value={m.role >= 20 ? 20 : m.role >= 15 ? 15 : 5} onChange={(e) => void changeRole(m, Number(e.target.value))}>
                          {ROLES.map((r) => (
                            <option key={r.code} value={r.code}>
                              {r.label}
                            </option>
                          ))}
                        </select>
                      ) : (
                        <span>{roleName(m.role)}</span>
                      )}
                    </td>
                    <td className="actions">
                      {isSelf && !isOwnerRow ? (
                        <Button variant="danger" size="sm" onClick={() => setRemoving("me")}>
                          Leave
                        </Button>
                      ) : isAdmin && !isOwnerRow && !isSelf ? (
                        <Button variant="ghost" size="sm" onClick={() => setRemoving(m)}>
                          Remove
                        </Button>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {former > 0 && <p className="table-foot muted">{former === 1 ? "1 former member is" : `${former} former members are`} not shown.</p>}
        </div>
      )}
      {removing && (
        <ConfirmDialog
          title={removing === "me" ? `Leave ${workspace.name}?` : `Remove ${displayName(removing)}?`}
          body={<p>{removing === "me" ? "You will leave the workspace and all of its projects." : "They lose access to the workspace and its projects. You can invite them again later."}</p>}
          confirmLabel={removing === "me" ? "Leave workspace" : "Remove member"}
          error={confirmError}
          onConfirm={confirmRemove}
          onClose={() => {
            setRemoving(null);
            setConfirmError(null);
          }}
        />
      )}
    </div>
  );
}
