// A project's estimate scale (one per project) and its points.
import { useState, type FormEvent } from "react";
import { EmptyState, ErrorState, InlineError, Loading, useToast } from "../../components/feedback";
import { PencilIcon, TrashIcon } from "../../components/icons";
import { ConfirmDialog } from "../../components/overlay";
import { Button, Card, Field, Select } from "../../components/ui";
import { ApiError, api, asApiError } from "../../lib/http";
import type { Estimate, EstimatePoint } from "../../lib/types";
import { useAction, useResource } from "../../lib/useResource";
import type { ProjectProps } from "./ProjectSettings";

const TYPES: { id: Estimate["type"]; label: string; preset: string }[] = [
  { id: "points", label: "Points", preset: "1, 2, 3, 5, 8, 13" },
  { id: "categories", label: "Categories", preset: "XS, S, M, L, XL" },
  { id: "time", label: "Time", preset: "1h, 2h, 4h, 1d, 2d" },
];

export function EstimatesTab(props: ProjectProps) {
  const { base, canWrite } = props;
  const estimate = useResource<Estimate>(`${base}/estimates/`);
  if (estimate.error && estimate.error.status !== 404) return <ErrorState error={estimate.error} what="the estimates of this project" />;
  if (estimate.loading && !estimate.data && !estimate.error) return <Loading />;
  if (!estimate.data) {
    return canWrite ? (
      <CreateEstimate base={base} onCreated={estimate.reload} />
    ) : (
      <Card title="Estimates">
        <EmptyState title="No estimate scale" testId="estimates-empty">
          {props.project.archived_at ? "The project is archived; restore it to set up estimates." : "Project admins and members can set up a scale to size work items."}
        </EmptyState>
      </Card>
    );
  }
  return <EstimateEditor {...props} estimate={estimate.data} onChanged={estimate.reload} />;
}

function CreateEstimate({ base, onCreated }: { base: string; onCreated: () => Promise<void> }) {
  const toast = useToast();
  const [name, setName] = useState("Story points");
  const [type, setType] = useState<Estimate["type"]>("points");
  const [values, setValues] = useState(TYPES[0]?.preset ?? "");
  const { busy, error, setError, run } = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const points = values.split(",").map((v) => v.trim()).filter(Boolean);
    const tooLong = points.find((p) => p.length > 20);
    if (tooLong) {
      setError(new ApiError(400, { value: [`“${tooLong}” is longer than 20 characters.`] }, "A value is too long."));
      return;
    }
    const ok = await run(async () => {
      const created = await api.post<Estimate>(`${base}/estimates/`, { name: name.trim(), type });
      if (points.length) await api.post(`${base}/estimates/${created.id}/estimate-points/`, points.map((value, i) => ({ key: i + 1, value })));
    });
    if (ok) {
      toast.success("Estimate scale created.");
      await onCreated();
    }
  };

  return (
    <Card title="Set up estimates" description="An estimate scale sizes work items. A project has one scale.">
      <form className="form" onSubmit={submit} data-testid="create-estimate" noValidate>
        <InlineError error={error?.otherThan(["name", "type", "value"])} />
        <div className="row">
          <Field label="Name" id="estimate-name" value={name} maxLength={255} onChange={(e) => setName(e.target.value)} error={error?.field("name")} />
          <Select
            label="Type"
            id="estimate-type"
            value={type}
            onChange={(e) => {
              const next = e.target.value as Estimate["type"];
              const preset = TYPES.find((t) => t.id === next)?.preset ?? "";
              if (TYPES.some((t) => t.preset === values) || !values.trim()) setValues(preset);
              setType(next);
            }}
          >
            {TYPES.map((t) => (
              <option key={t.id} value={t.id}>
                {t.label}
              </option>
            ))}
          </Select>
        </div>
        <Field label="Values" id="estimate-values" value={values} onChange={(e) => setValues(e.target.value)} error={error?.field("value")} hint="Separated by commas, smallest first. You can change them later." />
        <div className="form-actions">
          <Button type="submit" busy={busy} disabled={!name.trim()}>
            Create estimate scale
          </Button>
        </div>
      </form>
    </Card>
  );
}

function EstimateEditor({ base, canWrite, estimate, onChanged }: ProjectProps & { estimate: Estimate; onChanged: () => Promise<void> }) {
  const toast = useToast();
  const pointsPath = `${base}/estimates/${estimate.id}/estimate-points/`;
  const points = useResource<EstimatePoint[]>(pointsPath);
  const [name, setName] = useState(estimate.name);
  const rename = useAction();
  const [editing, setEditing] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<EstimatePoint | "estimate" | null>(null);
  const [confirmError, setConfirmError] = useState<string | null>(null);
  const list = [...(points.data ?? [])].sort((a, b) => a.key - b.key);

  const saveName = async (event: FormEvent) => {
    event.preventDefault();
    if (await rename.run(() => api.patch(`${base}/estimates/`, { name: name.trim() }))) {
      toast.success("Estimate renamed.");
      await onChanged();
    }
  };

  const remove = async () => {
    setConfirmError(null);
    try {
      if (confirm === "estimate") {
        await api.delete(`${base}/estimates/`);
        toast.success("Estimate scale deleted.");
        setConfirm(null);
        await onChanged();
      } else if (confirm) {
        await api.delete(`${pointsPath}${confirm.id}/`);
        toast.success(`Value ${confirm.value} deleted.`);
        setConfirm(null);
        await points.reload();
      }
    } catch (e) {
      setConfirmError(asApiError(e).message);
    }
  };

  return (
    <div className="stack">
      <Card title="Estimate scale" description={`${TYPES.find((t) => t.id === estimate.type)?.label ?? estimate.type} · ${list.length} ${list.length === 1 ? "value" : "values"}`}>
        <form className="form" onSubmit={saveName} data-testid="estimate-form">
          <InlineError error={rename.error?.otherThan(["name"])} />
          <div className="invite-row">
            <Field label="Name" id="estimate-rename" value={name} disabled={!canWrite} maxLength={255} onChange={(e) => setName(e.target.value)} error={rename.error?.field("name")} />
            {canWrite && (
              <Button type="submit" variant="secondary" busy={rename.busy} disabled={!name.trim() || name.trim() === estimate.name}>
                Rename
              </Button>
            )}
          </div>
        </form>
      </Card>
      <Card title="Values" description="Work items are sized with these, in this order.">
        {points.error ? (
          <ErrorState error={points.error} what="the values" />
        ) : !points.data ? (
          <Loading />
        ) : (
          <div className="label-list" data-testid="estimate-points">
            {list.length === 0 && <p className="muted">No values yet.</p>}
            {list.map((point) =>
              editing === point.id ? (
                <PointForm key={point.id} path={pointsPath} point={point} nextKey={point.key} onDone={() => setEditing(null)} onSaved={points.reload} />
              ) : (
                <div key={point.id} className="state-row" data-testid={`point-${point.value}`}>
                  <span className="point-key">{point.key}</span>
                  <span className="state-name point-value">{point.value}</span>
                  {point.description && <span className="muted ellipsis small-text">{point.description}</span>}
                  {canWrite && (
                    <div className="row-actions row-actions-hover">
                      <button type="button" className="icon-button" aria-label={`Edit ${point.value}`} onClick={() => setEditing(point.id)}>
                        <PencilIcon size={14} />
                      </button>
                      <button type="button" className="icon-button icon-danger" aria-label={`Delete ${point.value}`} onClick={() => setConfirm(point)}>
                        <TrashIcon size={14} />
                      </button>
                    </div>
                  )}
                </div>
              ),
            )}
            {canWrite && editing === null && <PointForm path={pointsPath} nextKey={(list[list.length - 1]?.key ?? 0) + 1} onDone={() => undefined} onSaved={points.reload} />}
          </div>
        )}
      </Card>
      {canWrite && (
        <Card title="Danger zone" tone="danger">
          <div className="danger-row">
            <div>
              <strong>Delete the estimate scale</strong>
              <p className="muted">Removes the scale and its values; work items lose their estimates.</p>
            </div>
            <Button variant="danger" onClick={() => setConfirm("estimate")}>
              Delete scale
            </Button>
          </div>
        </Card>
      )}
      {confirm && (
        <ConfirmDialog
          title={confirm === "estimate" ? `Delete ${estimate.name}?` : `Delete the value ${confirm.value}?`}
          body={<p>{confirm === "estimate" ? "The scale and all its values are deleted." : "Work items sized with it lose their estimate."}</p>}
          confirmLabel="Delete"
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

function PointForm({ path, point, nextKey, onDone, onSaved }: { path: string; point?: EstimatePoint; nextKey: number; onDone: () => void; onSaved: () => Promise<void> }) {
  const [value, setValue] = useState(point?.value ?? "");
  const [description, setDescription] = useState(point?.description ?? "");
  const { busy, error, run } = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!value.trim()) return;
    const body = { value: value.trim(), description };
    const ok = await run(() => (point ? api.patch(`${path}${point.id}/`, body) : api.post(path, [{ ...body, key: nextKey }])));
    if (ok) {
      if (!point) {
        setValue("");
        setDescription("");
      }
      await onSaved();
      onDone();
    }
  };

  const message = error ? (error.field("value") ?? error.otherThan(["value"])) : null;
  return (
    <form className={point ? "inline-form" : "inline-form inline-form-add"} onSubmit={submit} onKeyDown={(e) => e.key === "Escape" && point && onDone()} data-testid="point-form">
      <div className="inline-form-row">
        <span className="point-key">{point?.key ?? nextKey}</span>
        <input className="inline-input" aria-label="Value" placeholder={point ? "Value" : "Add a value"} value={value} maxLength={20} autoFocus={!!point} aria-invalid={message ? true : undefined} onChange={(e) => setValue(e.target.value)} />
        <input className="inline-input inline-input-wide" aria-label="Value description" placeholder="Description (optional)" value={description} onChange={(e) => setDescription(e.target.value)} />
        {point && (
          <Button type="button" variant="secondary" size="sm" onClick={onDone}>
            Cancel
          </Button>
        )}
        <Button type="submit" size="sm" variant={point ? "primary" : "secondary"} busy={busy} disabled={!value.trim()}>
          {point ? "Save" : "Add value"}
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
