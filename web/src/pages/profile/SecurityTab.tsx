import { useCallback, useEffect, useState, type FormEvent } from "react";
import { Alert, Button, Card, Field, formatDate } from "../../components/ui";
import { ApiError, api } from "../../lib/http";
import type { SessionInfo, User } from "../../lib/types";

function describeAgent(agent: string): string {
  if (!agent) return "Unknown device";
  const browser = /Firefox\//.test(agent) ? "Firefox" : /Edg\//.test(agent) ? "Edge" : /Chrome\//.test(agent) ? "Chrome" : /Safari\//.test(agent) ? "Safari" : agent.split(" ")[0];
  const os = /Windows/.test(agent) ? "Windows" : /Mac OS X/.test(agent) ? "macOS" : /Android/.test(agent) ? "Android" : /iPhone|iPad/.test(agent) ? "iOS" : /Linux/.test(agent) ? "Linux" : "";
  return os ? `${browser} on ${os}` : (browser ?? agent);
}

export function SecurityTab({ user }: { user: User }) {
  const [sessions, setSessions] = useState<SessionInfo[]>([]);
  const [form, setForm] = useState({ old_password: "", new_password: "" });
  const [message, setMessage] = useState<{ tone: "error" | "success"; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => setSessions(await api.get<SessionInfo[]>("/api/users/me/sessions/")), []);
  useEffect(() => {
    void load();
  }, [load]);

  const change = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setMessage(null);
    try {
      const body = user.is_password_autoset ? { new_password: form.new_password } : form;
      const result = await api.post<{ detail: string }>("/auth/change-password/", body);
      setMessage({ tone: "success", text: result.detail });
      setForm({ old_password: "", new_password: "" });
      await load();
    } catch (e) {
      setMessage({ tone: "error", text: e instanceof ApiError ? e.message : String(e) });
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (id: string) => {
    await api.delete(`/api/users/me/sessions/${id}/`);
    await load();
  };

  return (
    <>
      <Card title={user.is_password_autoset ? "Set a password" : "Change password"}>
        <form onSubmit={change} className="form" data-testid="password-form">
          {message && <Alert tone={message.tone}>{message.text}</Alert>}
          {!user.is_password_autoset && (
            <Field label="Current password" type="password" required value={form.old_password} onChange={(e) => setForm({ ...form, old_password: e.target.value })} autoComplete="current-password" />
          )}
          <Field label="New password" type="password" required value={form.new_password} onChange={(e) => setForm({ ...form, new_password: e.target.value })} autoComplete="new-password" hint="Other devices are signed out when it changes." />
          <Button type="submit" busy={busy}>
            {user.is_password_autoset ? "Set password" : "Change password"}
          </Button>
        </form>
      </Card>
      <Card title="Where you're signed in">
        <table className="table" data-testid="sessions">
          <thead>
            <tr>
              <th>Device</th>
              <th>Address</th>
              <th>Signed in</th>
              <th>Last active</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {sessions.map((session) => (
              <tr key={session.id}>
                <td>
                  {describeAgent(session.user_agent)} <span className="muted small-inline">via {session.medium}</span>
                </td>
                <td>{session.ip}</td>
                <td>{formatDate(session.created_at)}</td>
                <td>{formatDate(session.last_seen_at)}</td>
                <td className="actions">
                  {session.is_current ? (
                    <span className="badge">This device</span>
                  ) : (
                    <Button variant="secondary" onClick={() => void revoke(session.id)}>
                      Sign out
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
    </>
  );
}
