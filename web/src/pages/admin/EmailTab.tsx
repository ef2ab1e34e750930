import { useState, type FormEvent } from "react";
import { useSession } from "../../auth/session";
import { Alert, Button, Card, Field, Select } from "../../components/ui";
import { ApiError, api } from "../../lib/http";
import { type Settings, value } from "./settings";

export function EmailTab({ settings, save }: { settings: Settings; save: (c: Record<string, string>) => Promise<void> }) {
  const { refresh, user } = useSession();
  const [form, setForm] = useState({
    EMAIL_HOST: value(settings, "EMAIL_HOST"),
    EMAIL_PORT: value(settings, "EMAIL_PORT") || "587",
    EMAIL_SECURITY: value(settings, "EMAIL_SECURITY") || "starttls",
    EMAIL_HOST_USER: value(settings, "EMAIL_HOST_USER"),
    EMAIL_HOST_PASSWORD: "",
    EMAIL_FROM: value(settings, "EMAIL_FROM"),
  });
  const [testTo, setTestTo] = useState(user?.email ?? "");
  const [message, setMessage] = useState<{ tone: "error" | "success"; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const passwordSet = settings.EMAIL_HOST_PASSWORD?.is_set ?? false;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setMessage(null);
    const changes: Record<string, string> = { ...form };
    if (!changes.EMAIL_HOST_PASSWORD) delete changes.EMAIL_HOST_PASSWORD;
    try {
      await save(changes);
      await refresh();
      setForm({ ...form, EMAIL_HOST_PASSWORD: "" });
      setMessage({ tone: "success", text: "Saved." });
    } catch (e) {
      setMessage({ tone: "error", text: e instanceof ApiError ? e.message : String(e) });
    } finally {
      setBusy(false);
    }
  };

  const sendTest = async () => {
    setBusy(true);
    setMessage(null);
    try {
      const result = await api.post<{ message: string; smtp_response: string }>("/api/instances/email-credentials-check/", { receiver_email: testTo });
      setMessage({ tone: "success", text: `${result.message} The server answered: ${result.smtp_response}` });
    } catch (e) {
      setMessage({ tone: "error", text: e instanceof ApiError ? e.message : String(e) });
    } finally {
      setBusy(false);
    }
  };

  const set = (key: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setForm({ ...form, [key]: e.target.value });

  return (
    <Card title="Email delivery (SMTP)">
      <p className="muted">Sign-in codes, password resets and invitations go out through this server. Login is optional: many relays accept mail without one.</p>
      <form onSubmit={submit} className="form" data-testid="email-form">
        {message && <Alert tone={message.tone}>{message.text}</Alert>}
        <div className="row">
          <Field label="SMTP host" value={form.EMAIL_HOST} onChange={set("EMAIL_HOST")} placeholder="smtp.example.com" />
          <Field label="Port" value={form.EMAIL_PORT} onChange={set("EMAIL_PORT")} inputMode="numeric" />
        </div>
        <Select label="Security" value={form.EMAIL_SECURITY} onChange={set("EMAIL_SECURITY")}>
          <option value="starttls">STARTTLS (usually port 587)</option>
          <option value="tls">TLS (usually port 465)</option>
          <option value="none">None (a relay on a trusted network)</option>
        </Select>
        <div className="row">
          <Field label="Username" value={form.EMAIL_HOST_USER} onChange={set("EMAIL_HOST_USER")} autoComplete="off" hint="Leave empty for no login." />
          <Field label="Password" type="password" value={form.EMAIL_HOST_PASSWORD} onChange={set("EMAIL_HOST_PASSWORD")} placeholder={passwordSet ? "Saved — type to replace" : ""} autoComplete="new-password" />
        </div>
        <Field label="From" value={form.EMAIL_FROM} onChange={set("EMAIL_FROM")} placeholder="Plane <noreply@example.com>" />
        <Button type="submit" busy={busy}>
          Save
        </Button>
      </form>
      <div className="test-mail">
        <Field label="Send a test email to" type="email" value={testTo} onChange={(e) => setTestTo(e.target.value)} />
        <Button variant="secondary" type="button" busy={busy} onClick={() => void sendTest()} disabled={!testTo}>
          Send test email
        </Button>
      </div>
    </Card>
  );
}
