// A project's labels, nested one level or more through `parent`: add, edit, delete.
import { useState, type FormEvent } from "react";
import { ColorPicker, SWATCHES } from "../../components/ColorPicker";
import { EmptyState, ErrorState, Loading, useToast } from "../../components/feedback";
import { PencilIcon, PlusIcon, TrashIcon } from "../../components/icons";
import { ConfirmDialog } from "../../components/overlay";
import { Button, Card } from "../../components/ui";
import { ApiError, api, asApiError } from "../../lib/http";
import type { Label, Paged } from "../../lib/types";
import { useResource } from "../../lib/useResource";
import type { ProjectProps } from "./ProjectSettings";

/** Labels in tree order: each followed by its children, with their depth. */
function tree(labels: Label[]): { label: Label; depth: number }[] {
  const byParent = new Map<string | null, Label[]>();
  const ids = new Set(labels.map((l) => l.id));
  for (const label of labels) {
    const parent = label.parent && ids.has(label.parent) ? label.parent : null;
    byParent.set(parent, [...(byParent.get(parent) ?? []), label]);
  }
  const out: { label: Label; depth: number }[] = [];
  const walk = (parent: string | null, depth: number) => {
    for (const label of (byParent.get(parent) ?? []).sort((a, b) => a.name.localeCompare(b.name))) {
      out.push({ label, depth });
      if (depth < 8) walk(label.id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

/** The label and everything under it: not a valid parent for it. */
function descendants(labels: Label[], id: string): Set<string> {
  const out = new Set([id]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const l of labels) {
      if (l.parent && out.has(l.parent) && !out.has(l.id)) {
        out.add(l.id);
        grew = true;
      }
    }
  }
  return out;
}

export function LabelsTab({ base, canWrite, project }: ProjectProps) {
  const labels = useResource<Paged<Label>>(`${base}/labels/?per_page=1000`);
  const toast = useToast();
  const [editing, setEditing] = useState<string | "new" | null>(null);
  const [deleting, setDeleting] = useState<Label | null>(null);
  const [deleteError, setDeleteError] = useState<string | null>(null);

  if (project.archived_at) {
    return (
      <Card title="Labels">
        <p className="muted">An archived project shows no labels; restore it to work with them again.</p>
      </Card>
    );
  }
  if (labels.error) return <ErrorState error={labels.error} what="the labels of this project" />;
  if (!labels.data) return <Loading />;
  const all = labels.data.results;
  const rows = tree(all);

  const remove = async () => {
    if (!deleting) return;
    setDeleteError(null);
    try {
      await api.delete(`${base}/labels/${deleting.id}/`);
      toast.success(`Label ${deleting.name} deleted.`);
      setDeleting(null);
      await labels.reload();
    } catch (e) {
      setDeleteError(asApiError(e).message);
    }
  };

  return (
    <Card
      title="Labels"
      description={canWrite ? "Tag work items by area, type or anything else. Labels can sit under a parent label." : "Project admins and members manage the labels."}
      actions={
        canWrite && editing !== "new" ? (
          <Button size="sm" onClick={() => setEditing("new")} data-testid="new-label">
            <PlusIcon size={14} /> New label
          </Button>
        ) : undefined
      }
    >
      {editing === "new" && <LabelForm base={base} labels={all} onDone={() => setEditing(null)} onSaved={labels.reload} />}
      {rows.length === 0 && editing !== "new" ? (
        <EmptyState title="No labels yet" testId="labels-empty">
          {canWrite ? "Create labels such as Bug, Feature or Design to sort work items." : "Nobody has created labels in this project yet."}
        </EmptyState>
      ) : (
        <div className="label-list" data-testid="labels">
          {rows.map(({ label, depth }) =>
            editing === label.id ? (
              <LabelForm key={label.id} base={base} labels={all} label={label} onDone={() => setEditing(null)} onSaved={labels.reload} />
            ) : (
              <div key={label.id} className="state-row" style={{ paddingLeft: 12 + depth * 24 }} data-testid={`label-${label.name}`}>
                <span className="label-dot" style={{ background: label.color || "#9aa4bc" }} aria-hidden="true" />
                <span className="state-name">{label.name}</span>
                {label.description && <span className="muted ellipsis small-text">{label.description}</span>}
                {canWrite && (
                  <div className="row-actions row-actions-hover">
                    <button type="button" className="icon-button" aria-label={`Edit ${label.name}`} onClick={() => setEditing(label.id)}>
                      <PencilIcon size={14} />
                    </button>
                    <button type="button" className="icon-button icon-danger" aria-label={`Delete ${label.name}`} onClick={() => setDeleting(label)}>
                      <TrashIcon size={14} />
                    </button>
                  </div>
                )}
              </div>
            ),
          )}
        </div>
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete the label ${deleting.name}?`}
          body={<p>It is removed from every work item that has it.</p>}
          confirmLabel="Delete label"
          error={deleteError}
          onConfirm={remove}
          onClose={() => {
            setDeleting(null);
            setDeleteError(null);
          }}
        />
      )}
    </Card>
  );
}

function LabelForm({ base, labels, label, onDone, onSaved }: { base: string; labels: Label[]; label?: Label; onDone: () => void; onSaved: () => Promise<void> }) {
  const toast = useToast();
  const [name, setName] = useState(label?.name ?? "");
  const [color, setColor] = useState(label?.color || SWATCHES[Math.floor(Math.random() * SWATCHES.length)] || "#3f76ff");
  const [parent, setParent] = useState(label?.parent ?? "");
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const excluded = label ? descendants(labels, label.id) : new Set<string>();
  const parents = labels.filter((l) => !excluded.has(l.id)).sort((a, b) => a.name.localeCompare(b.name));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim()) {
      setError(new ApiError(400, { name: ["Give the label a name."] }, "Give the label a name."));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const body = { name: name.trim(), color, parent: parent || null };
      if (label) await api.patch(`${base}/labels/${label.id}/`, body);
      else await api.post(`${base}/labels/`, body);
      toast.success(label ? `Label ${name.trim()} saved.` : `Label ${name.trim()} created.`);
      await onSaved();
      onDone();
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  };

  const message = error ? (error.field("name") ?? error.field("parent") ?? error.otherThan(["name", "parent"])) : null;
  return (
    <form className="inline-form" onSubmit={submit} onKeyDown={(e) => e.key === "Escape" && onDone()} data-testid="label-form">
      <div className="inline-form-row">
        <ColorPicker value={color} onChange={setColor} label="Label colour" />
        <input className="inline-input" aria-label="Label name" placeholder="Label name" value={name} autoFocus maxLength={255} aria-invalid={message ? true : undefined} onChange={(e) => setName(e.target.value)} />
        <select className="inline-select" aria-label="Parent label" value={parent} onChange={(e) => setParent(e.target.value)}>
          <option value="">No parent</option>
          {parents.map((l) => (
            <option key={l.id} value={l.id}>
              Under {l.name}
            </option>
          ))}
        </select>
        <Button type="button" variant="secondary" size="sm" onClick={onDone}>
          Cancel
        </Button>
        <Button type="submit" size="sm" busy={busy}>
          {label ? "Save" : "Create label"}
        </Button>
      </div>
      {message && (
        <p className="field-error" role="alert">
          {message}
        </p>
      )}
    </form>
  );
}
