// Workspace settings, general: the name (admins), leaving, and deletion (the owner).
import { useState, type FormEvent } from "react";
import { InlineError, useToast } from "../../../components/feedback";
import { WorkspaceLogo } from "../../../components/marks";
import { ConfirmDialog } from "../../../components/overlay";
import { Alert, Button, Card, Field } from "../../../components/ui";
import { api, asApiError } from "../../../lib/http";
import type { Workspace } from "../../../lib/types";
import { useAction } from "../../../lib/useResource";
import { useWorkspaces } from "../../../lib/workspaces";
import { navigate } from "../../../router";
import { useWorkspace } from "../context";

export function GeneralSettings() {
  const { workspace, reloadWorkspace, isAdmin, isOwner } = useWorkspace();
  const { reload: reloadList } = useWorkspaces();
  const toast = useToast();
  const [name, setName] = useState(workspace.name);
  const { busy, error, call } = useAction();
  const [confirm, setConfirm] = useState<"delete" | "leave" | null>(null);
  const [confirmError, setConfirmError] = useState<string | null>(null);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    const saved = await call(() => api.patch<Workspace>(`/api/v1/workspaces/${workspace.slug}/`, { name: name.trim() }));
    if (saved) {
      await Promise.all([reloadWorkspace(), reloadList()]);
      toast.success("Workspace renamed.");
    }
  };

  const remove = async () => {
    setConfirmError(null);
    try {
      if (confirm === "delete") await api.delete(`/api/v1/workspaces/${workspace.slug}/`);
      else await api.post(`/api/v1/workspaces/${workspace.slug}/members/leave/`);
      await reloadList();
      toast.success(confirm === "delete" ? `${workspace.name} was deleted.` : `You left ${workspace.name}.`);
      navigate("/", { replace: true });
    } catch (e) {
      setConfirmError(asApiError(e).message);
    }
  };

  return (
    <div className="content-page narrow-content">
      <h1 className="page-title">Workspace settings</h1>
      <div className="stack">
        <Card title="General" description={isAdmin ? "The name shows everywhere; the URL stays the same." : "Only workspace admins can change these."}>
          <form onSubmit={save} className="form" data-testid="workspace-general-form">
            <div className="identity-row">
              <WorkspaceLogo name={name || workspace.name} seed={workspace.slug} size={48} />
              <div className="identity-text">
                <strong>{workspace.name}</strong>
                <span className="muted">
                  {window.location.host}/{workspace.slug}
                </span>
              </div>
            </div>
            <InlineError error={error?.otherThan(["name"])} />
            <Field label="Workspace name" id="workspace-rename" value={name} maxLength={80} disabled={!isAdmin} onChange={(e) => setName(e.target.value)} error={error?.field("name")} />
            <Field label="Workspace URL" id="workspace-url" value={`${window.location.host}/${workspace.slug}`} disabled readOnly hint="Links use it, so it never changes." />
            {isAdmin && (
              <div className="form-actions">
                <Button type="submit" busy={busy} disabled={!name.trim() || name.trim() === workspace.name}>
                  Save changes
                </Button>
              </div>
            )}
          </form>
        </Card>
        <Card title="Danger zone" tone="danger">
          {!isOwner && (
            <div className="danger-row">
              <div>
                <strong>Leave this workspace</strong>
                <p className="muted">You lose access to its projects. An admin can invite you again.</p>
              </div>
              <Button variant="danger" onClick={() => setConfirm("leave")}>
                Leave workspace
              </Button>
            </div>
          )}
          {isOwner ? (
            <div className="danger-row">
              <div>
                <strong>Delete this workspace</strong>
                <p className="muted">Deletes every project, member and invitation in it. This cannot be undone.</p>
              </div>
              <Button variant="danger" onClick={() => setConfirm("delete")} data-testid="delete-workspace">
                Delete workspace
              </Button>
            </div>
          ) : (
            <Alert tone="info">Only the owner of the workspace can delete it.</Alert>
          )}
        </Card>
      </div>
      {confirm === "delete" && (
        <ConfirmDialog
          title={`Delete ${workspace.name}?`}
          body={<p>All its projects, states, labels, members and invitations go with it. This cannot be undone.</p>}
          confirmLabel="Delete workspace"
          typeToConfirm={workspace.slug}
          error={confirmError}
          onConfirm={remove}
          onClose={() => {
            setConfirm(null);
            setConfirmError(null);
          }}
        />
      )}
      {confirm === "leave" && (
        <ConfirmDialog
          title={`Leave ${workspace.name}?`}
          body={<p>You will leave the workspace and all of its projects.</p>}
          confirmLabel="Leave workspace"
          error={confirmError}
          onConfirm={remove}
          onClose={() => {
            setConfirm(null);
            setConfirmError(null);
          }}
        />
      )}
    </div>
  );
}
