// A project's name, identifier, description and visibility; archiving and deletion.
import { useState, type FormEvent } from "react";
import { InlineError, useToast } from "../../components/feedback";
import { ConfirmDialog } from "../../components/overlay";
import { Alert, Button, Card, Field, TextArea } from "../../components/ui";
import { api, asApiError } from "../../lib/http";
import { FORBIDDEN_NAME_CHARS, IDENTIFIER_MAX, cleanIdentifier } from "../../lib/text";
import type { Project } from "../../lib/types";
import { useAction } from "../../lib/useResource";
import { navigate } from "../../router";
import { useWorkspace } from "../workspace/context";
import { NetworkChoice } from "../workspace/CreateProjectDialog";
import { projectErrors } from "./errors";
import type { ProjectProps } from "./ProjectSettings";

export function GeneralTab({ slug, project, base, reload, canManage }: ProjectProps) {
  const toast = useToast();
  const { projects } = useWorkspace();
  const archived = project.archived_at !== null;
  const [form, setForm] = useState({ name: project.name, identifier: project.identifier, description: project.description, network: project.network });
  const [nameProblem, setNameProblem] = useState<string | undefined>();
  const { busy, error, call } = useAction();
  const [confirm, setConfirm] = useState<"archive" | "delete" | null>(null);
  const [confirmError, setConfirmError] = useState<string | null>(null);
  const editable = canManage && !archived;
  const changed = form.name !== project.name || form.identifier !== project.identifier || form.description !== project.description || form.network !== project.network;

  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (FORBIDDEN_NAME_CHARS.test(form.name)) {
      setNameProblem("Project names cannot contain special characters such as - . ! ( ) & or @.");
      return;
    }
    setNameProblem(undefined);
    const saved = await call(() => api.patch<Project>(`${base}/`, { ...form, name: form.name.trim() }));
    if (saved) {
      await reload();
      toast.success("Project saved.");
    }
  };

  const act = async () => {
    setConfirmError(null);
    try {
      if (confirm === "archive") {
        await api.post(`${base}/archive/`);
        toast.success(`${project.name} is archived.`);
        setConfirm(null);
        await reload();
      } else if (confirm === "delete") {
        await api.delete(`${base}/`);
        toast.success(`${project.name} was deleted.`);
        navigate(`/${slug}/`, { replace: true });
        await projects.reload();
      }
    } catch (e) {
      setConfirmError(asApiError(e).message);
    }
  };

  const server = projectErrors(error);
  return (
    <div className="stack">
      <Card title="Project details" description={!canManage ? "Only project admins can change these." : archived ? "Restore the project to change these." : undefined}>
        <form onSubmit={save} className="form" data-testid="project-general-form" noValidate>
          <InlineError error={server.other} />
          <div className="row row-name-id">
            <Field label="Name" id="project-edit-name" value={form.name} maxLength={255} disabled={!editable} onChange={(e) => setForm({ ...form, name: e.target.value })} error={nameProblem ?? server.name} />
            <Field
              label="Identifier"
              id="project-edit-identifier"
              value={form.identifier}
              maxLength={IDENTIFIER_MAX}
              disabled={!editable}
              spellCheck={false}
              onChange={(e) => setForm({ ...form, identifier: cleanIdentifier(e.target.value) })}
              error={server.identifier}
            />
          </div>
          <TextArea label="Description" id="project-edit-description" value={form.description} disabled={!editable} onChange={(e) => setForm({ ...form, description: e.target.value })} rows={4} />
          <NetworkChoice value={form.network} onChange={(network) => setForm({ ...form, network })} disabled={!editable} />
          {editable && (
            <div className="form-actions">
              <Button type="submit" busy={busy} disabled={!changed || !form.name.trim() || !form.identifier}>
                Save changes
              </Button>
            </div>
          )}
        </form>
      </Card>
      {canManage && (
        <Card title="Danger zone" tone="danger">
          {!archived && (
            <div className="danger-row">
              <div>
                <strong>Archive this project</strong>
                <p className="muted">Keeps everything, read-only, in the archived list. You can restore it any time.</p>
              </div>
              <Button variant="danger" onClick={() => setConfirm("archive")} data-testid="archive-project">
                Archive project
              </Button>
            </div>
          )}
          <div className="danger-row">
            <div>
              <strong>Delete this project</strong>
              <p className="muted">Deletes its members, states, labels and estimates. This cannot be undone.</p>
            </div>
            <Button variant="danger" onClick={() => setConfirm("delete")} data-testid="delete-project">
              Delete project
            </Button>
          </div>
        </Card>
      )}
      {!canManage && archived && <Alert tone="info">This project is archived. A project admin can restore it.</Alert>}
      {confirm && (
        <ConfirmDialog
          title={confirm === "archive" ? `Archive ${project.name}?` : `Delete ${project.name}?`}
          body={
            <p>
              {confirm === "archive"
                ? "The project becomes read-only and moves to the archived list. Members keep access and you can restore it later."
                : "The project, its members, states, labels and estimates are deleted. This cannot be undone."}
            </p>
          }
          confirmLabel={confirm === "archive" ? "Archive project" : "Delete project"}
          typeToConfirm={confirm === "delete" ? project.identifier : undefined}
          error={confirmError}
          onConfirm={act}
          onClose={() => {
            setConfirm(null);
            setConfirmError(null);
          }}
        />
      )}
    </div>
  );
}
