// Workspace invitations (admins): invite by email with a role, change the role, withdraw.
import { useState, type FormEvent } from "react";
import { useSession } from "../../../auth/session";
import { EmptyState, ErrorState, InlineError, Loading, useToast } from "../../../components/feedback";
import { MailIcon } from "../../../components/icons";
import { ConfirmDialog } from "../../../components/overlay";
import { Alert, Badge, Button, Card, Field, Select, formatDate } from "../../../components/ui";
import { ApiError, api, asApiError } from "../../../lib/http";
import { ROLES, roleName } from "../../../lib/roles";
import type { Invitation } from "../../../lib/types";
import { useAction, useResource } from "../../../lib/useResource";
import { useWorkspace } from "../context";

// Accepted invitations are deleted with their acceptance (as in Plane): the list holds pending
// and declined ones.
function status(invitation: Invitation) {
  if (invitation.responded_at) return <Badge tone="danger">Declined</Badge>;
  return <Badge tone="neutral">Pending</Badge>;
}

export function InvitationsSettings() {
  const { workspace, isAdmin } = useWorkspace();
  const { instance } = useSession();
  const toast = useToast();
  const invitations = useResource<Invitation[]>(isAdmin ? `/api/v1/workspaces/${workspace.slug}/invitations/` : null);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState(15);
  const { busy, error, call } = useAction();
  const [withdrawing, setWithdrawing] = useState<Invitation | null>(null);
  const [withdrawError, setWithdrawError] = useState<string | null>(null);

  if (!isAdmin) {
    return (
      <div className="content-page">
        <h1 className="page-title">Invitations</h1>
        <ErrorState error={new ApiError(403, null, "")} what="the invitations of this workspace" />
      </div>
    );
  }

  const invite = async (event: FormEvent) => {
    event.preventDefault();
    const created = await call(() => api.post<Invitation>(`/api/v1/workspaces/${workspace.slug}/invitations/`, { email: email.trim(), role }));
    if (created) {
      setEmail("");
      toast.success(`Invitation created for ${created.email}.`);
      await invitations.reload();
    }
  };

  const changeRole = async (invitation: Invitation, next: number) => {
    try {
      await api.patch(`/api/v1/workspaces/${workspace.slug}/invitations/${invitation.id}/`, { role: next });
      toast.success(`${invitation.email} is invited as ${roleName(next).toLowerCase()}.`);
    } catch (e) {
      toast.error(asApiError(e).message);
    }
    await invitations.reload();
  };

  const withdraw = async () => {
    if (!withdrawing) return;
    setWithdrawError(null);
    try {
      await api.delete(`/api/v1/workspaces/${workspace.slug}/invitations/${withdrawing.id}/`);
      toast.success(`Invitation for ${withdrawing.email} withdrawn.`);
      setWithdrawing(null);
      await invitations.reload();
    } catch (e) {
      setWithdrawError(asApiError(e).message);
    }
  };

  const list = invitations.data ?? [];
  const smtp = instance?.config.is_smtp_configured;
  return (
    <div className="content-page">
      <h1 className="page-title">Invitations</h1>
      <p className="muted page-lead">Invite people by email. They join with the role you pick once they accept.</p>
      <div className="stack">
        <Card title="Invite someone">
          <form onSubmit={invite} className="form" data-testid="invite-form" noValidate>
            {!smtp && (
              <Alert tone="info">
                Email is not set up on this instance, so no email goes out: the invitation waits on the home page of whoever signs in with that address.
              </Alert>
            )}
            <InlineError error={error?.otherThan(["email", "role"])} />
            <div className="invite-row">
              <Field label="Email" id="invite-email" type="email" placeholder="name@company.com" value={email} onChange={(e) => setEmail(e.target.value)} error={error?.field("email")} autoComplete="off" />
              <Select label="Role" id="invite-role" value={role} onChange={(e) => setRole(Number(e.target.value))} error={error?.field("role")}>
                {ROLES.map((r) => (
                  <option key={r.code} value={r.code}>
                    {r.label}
                  </option>
                ))}
              </Select>
              <Button type="submit" busy={busy} disabled={!email.trim()}>
                Send invitation
              </Button>
            </div>
            <p className="field-hint">
              <strong>{roleName(role)}:</strong> {ROLES.find((r) => r.code === role)?.hint.toLowerCase()}.
            </p>
          </form>
        </Card>
        <Card title="Sent invitations">
          {invitations.error ? (
            <ErrorState error={invitations.error} what="the invitations" />
          ) : !invitations.data ? (
            <Loading />
          ) : list.length === 0 ? (
            <EmptyState icon={<MailIcon size={22} />} title="No invitations yet">
              Invitations you send appear here until they are answered.
            </EmptyState>
          ) : (
            <table className="table" data-testid="invitations">
              <thead>
                <tr>
                  <th>Email</th>
                  <th>Role</th>
                  <th>Status</th>
                  <th>Sent</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {list.map((invitation) => {
                  const pending = !invitation.responded_at;
                  return (
                    <tr key={invitation.id} data-testid={`invitation-${invitation.email}`}>
                      <td>{invitation.email}</td>
                      <td className="role-cell">
                        {pending ? (
                          <select className="inline-select" aria-label={`Role for ${invitation.email}`} value={invitation.role >= 20 ? 20 : invitation.role >= 15 ? 15 : 5} onChange={(e) => void changeRole(invitation, Number(e.target.value))}>
                            {ROLES.map((r) => (
                              <option key={r.code} value={r.code}>
                                {r.label}
                              </option>
                            ))}
                          </select>
                        ) : (
                          roleName(invitation.role)
                        )}
                      </td>
                      <td>{status(invitation)}</td>
                      <td className="muted">{formatDate(invitation.created_at)}</td>
                      <td className="actions">
                        {pending && (
                          <Button variant="ghost" size="sm" onClick={() => setWithdrawing(invitation)}>
                            Withdraw
                          </Button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </Card>
      </div>
      {withdrawing && (
        <ConfirmDialog
          title="Withdraw this invitation?"
          body={<p>The link sent to {withdrawing.email} stops working. You can invite them again later.</p>}
          confirmLabel="Withdraw"
          error={withdrawError}
          onConfirm={withdraw}
          onClose={() => {
            setWithdrawing(null);
            setWithdrawError(null);
          }}
        />
      )}
    </div>
  );
}
