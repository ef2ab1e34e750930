// A project's members: add workspace members (with a role no higher than their workspace
// role), change roles, remove, leave.
import { useMemo, useState, type FormEvent } from "react";
import { useSession } from "../../auth/session";
import { ErrorState, InlineError, Loading, useToast } from "../../components/feedback";
import { ConfirmDialog } from "../../components/overlay";
import { Avatar, Button, Card, Select } from "../../components/ui";
import { api, asApiError } from "../../lib/http";
import { ROLES, roleName } from "../../lib/roles";
import { displayName } from "../../lib/text";
import type { Member } from "../../lib/types";
import { useAction, useResource } from "../../lib/useResource";
import { navigate } from "../../router";
import { useWorkspace } from "../workspace/context";
import type { ProjectProps } from "./ProjectSettings";

const normal = (role: number) => (role >= 20 ? 20 : role >= 15 ? 15 : 5);

export function MembersTab({ slug, project, base, reload, canManage }: ProjectProps) {
  const { user } = useSession();
  const { isMember: inWorkspace, projects } = useWorkspace();
  const toast = useToast();
  const members = useResource<Member[]>(`${base}/members/`);
  const workspaceMembers = useResource<Member[]>(canManage && inWorkspace ? `/api/v1/workspaces/${slug}/members/?is_active=true` : null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [confirmError, setConfirmError] = useState<string | null>(null);
  const archived = project.archived_at !== null;

  const active = (members.data ?? []).filter((m) => m.is_active && !m.is_bot);
  const workspaceRole = useMemo(() => new Map((workspaceMembers.data ?? []).map((m) => [m.id, normal(m.role)])), [workspaceMembers.data]);
  const candidates = (workspaceMembers.data ?? []).filter((m) => m.is_active && !m.is_bot && !active.some((a) => a.id === m.id));

  const changeRole = async (member: Member, role: number) => {
    try {
      await api.patch(`${base}/members/${member.id}/`, { role });
      toast.success(`${displayName(member)} is now ${roleName(role).toLowerCase()} of ${project.name}.`);
      if (member.id === user?.id) await reload();
    } catch (e) {
      toast.error(asApiError(e).message);
    }
    await members.reload();
  };

  const remove = async () => {
    if (!removing) return;
    setConfirmError(null);
    try {
      if (removing.id === user?.id) {
        await api.post(`${base}/members/leave/`);
        toast.success(`You left ${project.name}.`);
        navigate(`/${slug}/`, { replace: true });
        await projects.reload();
        return;
      }
      await api.delete(`${base}/members/${removing.id}/`);
      toast.success(`${displayName(removing)} was removed from ${project.name}.`);
      setRemoving(null);
      await Promise.all([members.reload(), reload()]);
    } catch (e) {
      setConfirmError(asApiError(e).message);
    }
  };

  if (members.error) return <ErrorState error={members.error} what="the members of this project" />;
  if (!members.data) return <Loading />;

  return (
    <div className="stack">
      {canManage && !archived && (
        <AddMember
          base={base}
          candidates={candidates}
          loading={!workspaceMembers.data && !workspaceMembers.error}
          onAdded={async () => {
            await Promise.all([members.reload(), reload()]);
          }}
        />
      )}
      <Card title={`Members · ${active.length}`} description={canManage ? "A member's project role cannot be higher than their workspace role." : "Project admins manage who is in the project."}>
        <table className="table" data-testid="project-members">
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
              const limit = workspaceRole.get(m.id) ?? 20;
              return (
                <tr key={m.id} data-testid={`project-member-${m.email}`}>
                  <td>
                    <div className="person">
                      <Avatar name={displayName(m)} url={m.avatar_url} size={32} />
                      <div>
                        <strong>{displayName(m)}</strong>
                        {isSelf && <span className="muted"> (you)</span>}
                        <div className="muted small-text">{m.email}</div>
                      </div>
                    </div>
                  </td>
                  <td className="role-cell">
                    {canManage && !archived ? (
                      <select className="inline-select" aria-label={`Project role of ${displayName(m)}`} value={normal(m.role)} onChange={(e) => void changeRole(m, Number(e.target.value))}>
                        {ROLES.map((r) => (
                          <option key={r.code} value={r.code} disabled={r.code > limit}>
                            {r.label}
                          </option>
                        ))}
                      </select>
                    ) : (
                      roleName(m.role)
                    )}
                  </td>
                  <td className="actions">
                    {isSelf ? (
                      <Button variant="danger" size="sm" onClick={() => setRemoving(m)}>
                        Leave
                      </Button>
                    ) : canManage && !archived ? (
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
      </Card>
      {removing && (
        <ConfirmDialog
          title={removing.id === user?.id ? `Leave ${project.name}?` : `Remove ${displayName(removing)}?`}
          body={<p>{removing.id === user?.id ? "You lose access to this project. You can join again if it is public." : "They lose access to this project; they stay in the workspace."}</p>}
          confirmLabel={removing.id === user?.id ? "Leave project" : "Remove member"}
          error={confirmError}
          onConfirm={remove}
          onClose={() => {
            setRemoving(null);
            setConfirmError(null);
          }}
        />
      )}
    </div>
  );
}

function AddMember({ base, candidates, loading, onAdded }: { base: string; candidates: Member[]; loading: boolean; onAdded: () => Promise<void> }) {
  const toast = useToast();
  const [memberId, setMemberId] = useState("");
  const [role, setRole] = useState(15);
  const { busy, error, run } = useAction();
  const chosen = candidates.find((m) => m.id === memberId);
  const limit = chosen ? normal(chosen.role) : 20;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!chosen) return;
    const ok = await run(() => api.post(`${base}/members/`, { member: chosen.id, role: Math.min(role, limit) }));
    if (ok) {
      toast.success(`${displayName(chosen)} was added.`);
      setMemberId("");
      await onAdded();
    }
  };

  return (
    <Card title="Add a member" description="Anyone in the workspace can be added.">
      <form className="form" onSubmit={submit} data-testid="add-project-member">
        <InlineError error={error?.otherThan(["member", "role"])} />
        <div className="invite-row">
          <Select
            label="Workspace member"
            id="add-member"
            value={memberId}
            disabled={loading || candidates.length === 0}
            onChange={(e) => {
              setMemberId(e.target.value);
              const next = candidates.find((m) => m.id === e.target.value);
              if (next) setRole(Math.min(role, normal(next.role)));
            }}
            error={error?.field("member")}
          >
            <option value="">{loading ? "Loading…" : candidates.length === 0 ? "Everyone is already in the project" : "Choose a person"}</option>
            {candidates.map((m) => (
              <option key={m.id} value={m.id}>
                {displayName(m)} ({m.email})
              </option>
            ))}
          </Select>
          <Select label="Role" id="add-member-role" value={Math.min(role, limit)} onChange={(e) => setRole(Number(e.target.value))} error={error?.field("role")}>
            {ROLES.map((r) => (
              <option key={r.code} value={r.code} disabled={r.code > limit}>
                {r.label}
              </option>
            ))}
          </Select>
          <Button type="submit" busy={busy} disabled={!chosen}>
            Add member
          </Button>
        </div>
        {chosen && limit < 20 && <p className="field-hint">{displayName(chosen)} is {roleName(limit).toLowerCase()} of the workspace, so at most {roleName(limit).toLowerCase()} here.</p>}
      </form>
    </Card>
  );
}
