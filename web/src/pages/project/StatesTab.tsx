// A project's states, by group: add, rename and recolour, make default, delete.
import { useState, type FormEvent } from "react";
import { ColorPicker } from "../../components/ColorPicker";
import { ErrorState, Loading, useToast } from "../../components/feedback";
import { PencilIcon, PlusIcon, TrashIcon } from "../../components/icons";
import { ConfirmDialog } from "../../components/overlay";
import { Badge, Button, Card } from "../../components/ui";
import { ApiError, api, asApiError } from "../../lib/http";
import type { Paged, ProjectState, StateGroup } from "../../lib/types";
import { useResource } from "../../lib/useResource";
import type { ProjectProps } from "./ProjectSettings";
import { StateIcon } from "./StateIcon";

export const GROUPS: { id: StateGroup; label: string; color: string; hint: string }[] = [
  { id: "backlog", label: "Backlog", color: "#60646c", hint: "Ideas and requests not planned yet" },
  { id: "unstarted", label: "Unstarted", color: "#3f76ff", hint: "Planned, not started" },
  { id: "started", label: "Started", color: "#f59e0b", hint: "Work in progress" },
  { id: "completed", label: "Completed", color: "#46a758", hint: "Done" },
  { id: "cancelled", label: "Cancelled", color: "#9aa4bc", hint: "Won't be done" },
];

type Editing = { id: string | null; group: StateGroup } | null;

export function StatesTab({ base, canWrite, project }: ProjectProps) {
  const states = useResource<Paged<ProjectState>>(`${base}/states/?per_page=1000`);
  const toast = useToast();
  const [editing, setEditing] = useState<Editing>(null);
  const [deleting, setDeleting] = useState<ProjectState | null>(null);
  const [deleteError, setDeleteError] = useState<string | null>(null);

  if (project.archived_at) {
    return (
      <Card title="States">
        <p className="muted">An archived project shows no states; restore it to work with them again.</p>
      </Card>
    );
  }
  if (states.error) return <ErrorState error={states.error} what="the states of this project" />;
  if (!states.data) return <Loading />;
  const list = states.data.results.filter((s) => s.group !== "triage").sort((a, b) => a.sequence - b.sequence);

  const makeDefault = async (state: ProjectState) => {
    try {
      await api.patch(`${base}/states/${state.id}/`, { default: true });
      toast.success(`${state.name} is now the default state.`);
      await states.reload();
    } catch (e) {
      toast.error(asApiError(e).message);
    }
  };

  const remove = async () => {
    if (!deleting) return;
    setDeleteError(null);
    try {
      await api.delete(`${base}/states/${deleting.id}/`);
      toast.success(`State ${deleting.name} deleted.`);
      setDeleting(null);
      await states.reload();
    } catch (e) {
      setDeleteError(asApiError(e).message);
    }
  };

  return (
    <Card title="States" description={canWrite ? "Work items move through these states. New work items start in the default one." : "Project admins and members manage the states."}>
      <div className="state-groups" data-testid="states">
        {GROUPS.map((group) => {
          const members = list.filter((s) => s.group === group.id);
          return (
            <section key={group.id} className="state-group" data-testid={`state-group-${group.id}`}>
              <div className="state-group-head">
                <StateIcon group={group.id} color={group.color} />
                <h3>{group.label}</h3>
                <span className="muted small-text">{group.hint}</span>
                {canWrite && (
                  <Button variant="ghost" size="sm" className="push" onClick={() => setEditing({ id: null, group: group.id })} aria-label={`Add a state to ${group.label}`}>
                    <PlusIcon size={14} /> Add
                  </Button>
                )}
              </div>
              <div className="state-list">
                {members.map((state) =>
                  editing?.id === state.id ? (
                    <StateForm key={state.id} base={base} state={state} group={state.group as StateGroup} onDone={() => setEditing(null)} onSaved={states.reload} />
                  ) : (
                    <div key={state.id} className="state-row" data-testid={`state-${state.name}`}>
                      <StateIcon group={state.group} color={state.color} />
                      <span className="state-name">{state.name}</span>
                      {state.description && <span className="muted ellipsis small-text">{state.description}</span>}
                      {state.default && (
                        <Badge tone="neutral" testId="default-badge">
                          Default
                        </Badge>
                      )}
                      {canWrite && (
                        <div className="row-actions row-actions-hover">
                          {!state.default && (
                            <Button variant="ghost" size="sm" onClick={() => void makeDefault(state)}>
                              Make default
                            </Button>
                          )}
                          <button type="button" className="icon-button" aria-label={`Edit ${state.name}`} onClick={() => setEditing({ id: state.id, group: state.group as StateGroup })}>
                            <PencilIcon size={14} />
                          </button>
                          <button type="button" className="icon-button icon-danger" aria-label={`Delete ${state.name}`} onClick={() => setDeleting(state)}>
                            <TrashIcon size={14} />
                          </button>
                        </div>
                      )}
                    </div>
                  ),
                )}
                {editing && editing.id === null && editing.group === group.id && <StateForm base={base} group={group.id} onDone={() => setEditing(null)} onSaved={states.reload} />}
                {members.length === 0 && !(editing?.id === null && editing.group === group.id) && <p className="muted small-text state-empty">No states in this group.</p>}
              </div>
            </section>
          );
        })}
      </div>
      {deleting && (
        <ConfirmDialog
          title={`Delete the state ${deleting.name}?`}
          body={<p>{deleting.default ? "This is the default state: make another state the default first." : "Work items cannot use it any more."}</p>}
          confirmLabel="Delete state"
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

function StateForm({ base, state, group, onDone, onSaved }: { base: string; state?: ProjectState; group: StateGroup; onDone: () => void; onSaved: () => Promise<void> }) {
  const toast = useToast();
  const [name, setName] = useState(state?.name ?? "");
  const [color, setColor] = useState(state?.color ?? GROUPS.find((g) => g.id === group)?.color ?? "#60646c");
  const [description, setDescription] = useState(state?.description ?? "");
  const [targetGroup, setTargetGroup] = useState<StateGroup>(group);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim()) {
      setError(new ApiError(400, { name: ["Give the state a name."] }, "Give the state a name."));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const body = { name: name.trim(), color, description, group: targetGroup };
      if (state) await api.patch(`${base}/states/${state.id}/`, body);
      else await api.post(`${base}/states/`, body);
      toast.success(state ? `State ${name.trim()} saved.` : `State ${name.trim()} added.`);
      await onSaved();
      onDone();
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  };

  const message = error ? (error.field("name") ?? error.otherThan(["name"])) : null;
  return (
    <form className="inline-form" onSubmit={submit} onKeyDown={(e) => e.key === "Escape" && onDone()} data-testid="state-form">
      <div className="inline-form-row">
        <ColorPicker value={color} onChange={setColor} label="State colour" />
        <input className="inline-input" aria-label="State name" placeholder="State name" value={name} autoFocus maxLength={255} aria-invalid={message ? true : undefined} onChange={(e) => setName(e.target.value)} />
        <input className="inline-input inline-input-wide" aria-label="Description" placeholder="Description (optional)" value={description} onChange={(e) => setDescription(e.target.value)} />
        <select className="inline-select" aria-label="Group" value={targetGroup} onChange={(e) => setTargetGroup(e.target.value as StateGroup)}>
          {GROUPS.map((g) => (
            <option key={g.id} value={g.id}>
              {g.label}
            </option>
          ))}
        </select>
        <Button type="button" variant="secondary" size="sm" onClick={onDone}>
          Cancel
        </Button>
        <Button type="submit" size="sm" busy={busy}>
          {state ? "Save" : "Add state"}
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
