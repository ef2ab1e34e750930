// Creating a project: the identifier follows the name until edited by hand.
import { useState, type FormEvent } from "react";
import { InlineError } from "../../components/feedback";
import { GlobeIcon, LockIcon } from "../../components/icons";
import { Modal } from "../../components/overlay";
import { Button, Field, TextArea } from "../../components/ui";
import { api } from "../../lib/http";
import { FORBIDDEN_NAME_CHARS, IDENTIFIER_MAX, cleanIdentifier, identifierFrom } from "../../lib/text";
import type { Project } from "../../lib/types";
import { useAction } from "../../lib/useResource";
import { projectErrors } from "../project/errors";

export function NetworkChoice({ value, onChange, disabled }: { value: number; onChange: (network: number) => void; disabled?: boolean }) {
  const options = [
    { network: 2, icon: <GlobeIcon />, title: "Public", text: "Admins and members of the workspace can find and join it." },
    { network: 0, icon: <LockIcon />, title: "Secret", text: "Only the people added to it can see it." },
  ];
  return (
    <fieldset className="choice-group" disabled={disabled}>
      <legend>Visibility</legend>
      {options.map((option) => (
        <label key={option.network} className={value === option.network ? "choice choice-active" : "choice"}>
          <input type="radio" name="network" value={option.network} checked={value === option.network} onChange={() => onChange(option.network)} />
          <span className="choice-icon">{option.icon}</span>
          <span>
            <span className="choice-title">{option.title}</span>
            <span className="field-hint">{option.text}</span>
          </span>
        </label>
      ))}
    </fieldset>
  );
}

export function CreateProjectDialog({ slug, onClose, onCreated }: { slug: string; onClose: () => void; onCreated: (project: Project) => void }) {
  const [name, setName] = useState("");
  const [identifier, setIdentifier] = useState("");
  const [identifierEdited, setIdentifierEdited] = useState(false);
  const [description, setDescription] = useState("");
  const [network, setNetwork] = useState(2);
  const [local, setLocal] = useState<{ name?: string; identifier?: string }>({});
  const { busy, error, setError, call } = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const problems: { name?: string; identifier?: string } = {};
    if (!name.trim()) problems.name = "Give the project a name.";
    else if (FORBIDDEN_NAME_CHARS.test(name)) problems.name = "Project names cannot contain special characters such as - . ! ( ) & or @.";
    if (!identifier) problems.identifier = "Give the project an identifier.";
    setLocal(problems);
    if (problems.name || problems.identifier) {
      setError(null);
      return;
    }
    const created = await call(() => api.post<Project>(`/api/v1/workspaces/${slug}/projects/`, { name: name.trim(), identifier, description, network }));
    if (created) onCreated(created);
  };

  const server = projectErrors(error);
  return (
    <Modal title="Create a project" description="It starts with Plane's default states; you become its admin." onClose={onClose} testId="create-project-dialog" width={560}>
      <form onSubmit={submit} className="form" noValidate>
        <InlineError error={server.other} />
        <div className="row row-name-id">
          <Field
            label="Project name"
            id="project-name"
            value={name}
            maxLength={255}
            placeholder="Mobile app"
            onChange={(e) => {
              setName(e.target.value);
              setLocal({});
              if (!identifierEdited) setIdentifier(identifierFrom(e.target.value));
            }}
            error={local.name ?? server.name}
          />
          <Field
            label="Identifier"
            id="project-identifier"
            value={identifier}
            maxLength={IDENTIFIER_MAX}
            placeholder="MOB"
            spellCheck={false}
            onChange={(e) => {
              setIdentifierEdited(true);
              setLocal({});
              setIdentifier(cleanIdentifier(e.target.value));
            }}
            error={local.identifier ?? server.identifier}
            hint={
              <>
                Work item ids read <span className="nowrap">{identifier || "MOB"}-12</span>.
              </>
            }
          />
        </div>
        <TextArea label="Description (optional)" id="project-description" value={description} onChange={(e) => setDescription(e.target.value)} placeholder="What is this project about?" />
        <NetworkChoice value={network} onChange={setNetwork} />
        <div className="modal-actions">
          <Button type="button" variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" busy={busy}>
            Create project
          </Button>
        </div>
      </form>
    </Modal>
  );
}
