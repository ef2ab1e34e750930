import { useState, type FormEvent } from "react";
import { useSession } from "../../auth/session";
import { Alert, Button, Card, Field } from "../../components/ui";
import { ApiError } from "../../lib/http";
import { type Settings, value } from "./settings";

export function GeneralTab({ settings, save }: { settings: Settings; save: (c: Record<string, string>) => Promise<void> }) {
  const { refresh } = useSession();
  const [form, setForm] = useState({ INSTANCE_NAME: value(settings, "INSTANCE_NAME"), PUBLIC_URL: value(settings, "PUBLIC_URL") });
  const [message, setMessage] = useState<{ tone: "error" | "success"; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setMessage(null);
    try {
      await save(form);
      await refresh();
      setMessage({ tone: "success", text: "Saved." });
    } catch (e) {
      setMessage({ tone: "error", text: e instanceof ApiError ? e.message : String(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title="General">
      <form onSubmit={submit} className="form" data-testid="general-form">
        {message && <Alert tone={message.tone}>{message.text}</Alert>}
        <Field label="Instance name" value={form.INSTANCE_NAME} onChange={(e) => setForm({ ...form, INSTANCE_NAME: e.target.value })} />
        <Field
          label="Public URL"
          type="url"
          value={form.PUBLIC_URL}
          placeholder="https://plane.example.com"
          onChange={(e) => setForm({ ...form, PUBLIC_URL: e.target.value })}
          hint="The address people use to reach this instance; links in emails and sign-in redirects use it. A public_url in the server's configuration takes precedence."
        />
        <Button type="submit" busy={busy}>
          Save
        </Button>
      </form>
    </Card>
  );
}
