// Creating a workspace: the slug follows the name until edited by hand.
import { useState, type FormEvent } from "react";
import { InlineError } from "../../components/feedback";
import { Button, Field, Select } from "../../components/ui";
import { api } from "../../lib/http";
import { SLUG_MAX, cleanSlug, slugify } from "../../lib/text";
import type { Workspace } from "../../lib/types";
import { useAction } from "../../lib/useResource";
import { useWorkspaces } from "../../lib/workspaces";
import { navigate } from "../../router";

const SIZES = ["Just myself", "2-10", "11-50", "51-200", "201-500", "500+"];

export function CreateWorkspaceForm({ onCancel, autoFocus = true }: { onCancel?: () => void; autoFocus?: boolean }) {
  const { reload } = useWorkspaces();
  const [name, setName] = useState("");
  const [slug, setSlug] = useState("");
  const [slugEdited, setSlugEdited] = useState(false);
  const [size, setSize] = useState("");
  const { busy, error, call } = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const created = await call(() => api.post<Workspace>("/api/v1/workspaces/", { name: name.trim(), slug, organization_size: size || undefined }));
    if (created) {
      await reload();
      navigate(`/${created.slug}/`);
    }
  };

  const nameError = error?.field("name");
  const slugError = error?.field("slug");
  const other = error?.otherThan(["name", "slug"]);

  return (
    <form onSubmit={submit} className="form" data-testid="create-workspace-form" noValidate>
      <InlineError error={other} />
      <Field
        label="Workspace name"
        id="workspace-name"
        required
        maxLength={80}
        value={name}
        autoFocus={autoFocus}
        placeholder="Acme Inc."
        onChange={(e) => {
          setName(e.target.value);
          if (!slugEdited) setSlug(slugify(e.target.value));
        }}
        error={nameError}
      />
      <div className="field">
        <label htmlFor="workspace-slug">Workspace URL</label>
        <div className={slugError ? "prefixed-input prefixed-invalid" : "prefixed-input"}>
          <span className="prefix">{window.location.host}/</span>
          <input
            id="workspace-slug"
            required
            value={slug}
            maxLength={SLUG_MAX}
            aria-invalid={slugError ? true : undefined}
            placeholder="acme"
            spellCheck={false}
            onChange={(e) => {
              setSlugEdited(true);
              setSlug(cleanSlug(e.target.value));
            }}
          />
        </div>
        {slugError ? (
          <p className="field-error" role="alert">
            {slugError}
          </p>
        ) : (
          <p className="field-hint">Letters, digits, - and _, at most {SLUG_MAX} characters. It cannot change later.</p>
        )}
      </div>
      <Select label="Team size (optional)" id="workspace-size" value={size} onChange={(e) => setSize(e.target.value)}>
        <option value="">Prefer not to say</option>
        {SIZES.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </Select>
      <div className="form-actions">
        {onCancel && (
          <Button type="button" variant="secondary" onClick={onCancel}>
            Cancel
          </Button>
        )}
        <Button type="submit" busy={busy} disabled={!name.trim() || !slug}>
          Create workspace
        </Button>
      </div>
    </form>
  );
}
