// `/invitations/:id?token=…`, the link mailed to an invitee: what the invitation is, and
// accepting (signed in as the invited address) or declining (the link is enough).
import { useEffect, useState } from "react";
import { useSession } from "../auth/session";
import { Loading } from "../components/feedback";
import { WorkspaceLogo } from "../components/marks";
import { Alert, Button, Link } from "../components/ui";
import { ApiError, api, asApiError } from "../lib/http";
import { roleName } from "../lib/roles";
import type { InvitationAnswered, InvitationPreview } from "../lib/types";
import { useWorkspaces } from "../lib/workspaces";
import { here, navigate, useLocation } from "../router";
import { AuthLayout } from "./AuthLayout";

/** What a failed preview means to the person holding the link. */
function explain(error: ApiError, signedInAs: string | null, hasToken: boolean): { title: string; text: string } {
  if (error.status === 404) return { title: "Invitation not found", text: "This invitation does not exist any more: it was accepted already, or withdrawn by a workspace admin." };
  if (error.status === 403 && signedInAs && !hasToken)
    return { title: "This invitation is for someone else", text: `It was sent to another address than ${signedInAs}. Sign in with the invited address, or open the link from the email.` };
  if (error.status === 403)
    return { title: "This link is not valid", text: "The invitation link is incomplete or belongs to another invitation. Open the link from the email again, or ask the admin who invited you for a new one." };
  if (error.status === 401) return { title: "Sign in to see this invitation", text: "Open the link from your email, or sign in with the invited address." };
  return { title: "The invitation cannot be opened", text: error.message };
}

export function InvitationLanding({ id }: { id: string }) {
  const { user, signOut } = useSession();
  const { reload } = useWorkspaces();
  const { query } = useLocation();
  const token = query.get("token") ?? "";
  const [preview, setPreview] = useState<InvitationPreview | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [answerError, setAnswerError] = useState<string | null>(null);
  const [busy, setBusy] = useState<"accept" | "decline" | null>(null);
  const [declined, setDeclined] = useState<string | null>(null);

  useEffect(() => {
    if (user === undefined) return;
    setLoadError(null);
    const path = `/api/workspace-invitations/${id}/${token ? `?token=${encodeURIComponent(token)}` : ""}`;
    api.get<InvitationPreview>(path).then(setPreview, (e) => setLoadError(asApiError(e)));
  }, [id, token, user]);

  const answer = async (accepted: boolean) => {
    setBusy(accepted ? "accept" : "decline");
    setAnswerError(null);
    try {
      const result = await api.post<InvitationAnswered>(`/api/workspace-invitations/${id}/join/`, { token: token || undefined, accepted });
      if (accepted) {
        await reload();
        navigate(`/${result.workspace.slug}/`, { replace: true });
      } else {
        setDeclined(result.workspace.name);
      }
    } catch (e) {
      setAnswerError(asApiError(e).message);
    } finally {
      setBusy(null);
    }
  };

  const next = encodeURIComponent(here());
  const footer = user ? <Link href="/">Go to your workspaces</Link> : <Link href={`/sign-in?next_path=${next}`}>Sign in</Link>;

  if (user === undefined || (!preview && !loadError)) {
    return (
      <AuthLayout title="Workspace invitation">
        <Loading />
      </AuthLayout>
    );
  }
  if (loadError || !preview) {
    const { title, text } = explain(loadError ?? new ApiError(0, null, "Unknown error"), user?.email ?? null, token !== "");
    return (
      <AuthLayout title={title} footer={footer}>
        <div data-testid="invitation-error">
          <p className="muted">{text}</p>
          {loadError?.status === 401 && (
            <Button onClick={() => navigate(`/sign-in?next_path=${next}`)} className="full-width">
              Sign in
            </Button>
          )}
        </div>
      </AuthLayout>
    );
  }

  const workspace = preview.workspace;
  if (declined) {
    return (
      <AuthLayout title="Invitation declined" footer={footer}>
        <p className="muted" data-testid="invitation-declined">
          You declined the invitation to {declined}. Nothing else happens; the admin who invited you can send a new one.
        </p>
      </AuthLayout>
    );
  }

  const answered = preview.responded_at !== null;
  const signedInAsInvitee = user?.email.toLowerCase() === preview.email.toLowerCase();
  return (
    <AuthLayout title={`Join ${workspace.name}`} footer={footer}>
      <div className="invitation" data-testid="invitation-preview">
        <div className="invitation-head">
          <WorkspaceLogo name={workspace.name} seed={workspace.slug} size={48} />
          <div>
            <p className="invitation-lead">
              <strong>{preview.invited_by ?? "A workspace admin"}</strong> invited <strong>{preview.email}</strong> to the workspace <strong>{workspace.name}</strong>.
            </p>
            <p className="muted small-note">Role: {roleName(preview.role)}</p>
          </div>
        </div>
        {answerError && <Alert tone="error">{answerError}</Alert>}
        {answered ? (
          // Only a declined invitation is still here: an accepted one is deleted, as in Plane.
          <div className="form">
            <Alert tone="info">This invitation was declined already.</Alert>
          </div>
        ) : !user ? (
          <div className="form">
            <p className="muted">Sign in as {preview.email} to accept. New here? Create an account with that address; you come back here afterwards.</p>
            <Button onClick={() => navigate(`/sign-in?next_path=${next}`)}>Sign in to accept</Button>
            <Button variant="secondary" onClick={() => navigate(`/sign-up?next_path=${next}&email=${encodeURIComponent(preview.email)}`)}>
              Create an account
            </Button>
            {token && (
              <Button variant="ghost" busy={busy === "decline"} onClick={() => void answer(false)}>
                Decline invitation
              </Button>
            )}
          </div>
        ) : !signedInAsInvitee ? (
          <div className="form">
            <Alert tone="info">
              This invitation is for {preview.email}, and you are signed in as {user.email}. Sign in with the invited address to accept it.
            </Alert>
            <Button onClick={() => void signOut().then(() => navigate(`/sign-in?next_path=${next}`))}>Sign out and switch account</Button>
            {token && (
              <Button variant="ghost" busy={busy === "decline"} onClick={() => void answer(false)}>
                Decline invitation
              </Button>
            )}
          </div>
        ) : (
          <div className="invitation-actions">
            <Button variant="secondary" busy={busy === "decline"} disabled={busy !== null} onClick={() => void answer(false)}>
              Decline
            </Button>
            <Button busy={busy === "accept"} disabled={busy !== null} onClick={() => void answer(true)}>
              Accept and join
            </Button>
          </div>
        )}
      </div>
    </AuthLayout>
  );
}
