import { useCallback, useEffect, useState, type FormEvent } from "react";
import { Alert, Button, Card, CopyField, Field, Select, formatDate } from "../../components/ui";
import { ApiError, api } from "../../lib/http";
import type { ApiToken, CreatedApiToken } from "../../lib/types";

export function TokensTab() {
  const [tokens, setTokens] = useState<ApiToken[]>([]);
  const [label, setLabel] = useState("");
  const [expiry, setExpiry] = useState("");
  const [created, setCreated] = useState<CreatedApiToken | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => setTokens(await api.get<ApiToken[]>("/api/users/api-tokens/")), []);
  useEffect(() => {
    void load();
  }, [load]);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const token = await api.post<CreatedApiToken>("/api/users/api-tokens/", { label, expires_in: expiry || undefined });
      setCreated(token);
      setLabel("");
      await load();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (id: string) => {
    await api.delete(`/api/users/api-tokens/${id}/`);
    if (created?.id === id) setCreated(null);
    await load();
  };

  return (
    <>
      <Card title="Create a token">
        <p className="muted">Tokens let scripts, Plane's SDKs and MCP servers use the API as you, with the <code>X-API-Key</code> header.</p>
        <form onSubmit={create} className="form" data-testid="token-form">
          {error && <Alert tone="error">{error}</Alert>}
          <div className="row">
            <Field label="Name" value={label} onChange={(e) => setLabel(e.target.value)} placeholder="CI pipeline" />
            <Select label="Expires" value={expiry} onChange={(e) => setExpiry(e.target.value)}>
              <option value="">Never</option>
              <option value="7d">In 7 days</option>
              <option value="30d">In 30 days</option>
              <option value="90d">In 90 days</option>
              <option value="365d">In a year</option>
            </Select>
          </div>
          <Button type="submit" busy={busy}>
            Create token
          </Button>
        </form>
        {created && (
          <div className="created-token" data-testid="created-token">
            <Alert tone="success">Copy the token now: it will not be shown again.</Alert>
            <CopyField value={created.token} label="token" />
          </div>
        )}
      </Card>
      <Card title="Your tokens">
        {tokens.length === 0 ? (
          <p className="muted">No tokens yet.</p>
        ) : (
          <table className="table" data-testid="tokens">
            <thead>
              <tr>
                <th>Name</th>
                <th>Token</th>
                <th>Created</th>
                <th>Last used</th>
                <th>Expires</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {tokens.map((token) => (
                <tr key={token.id}>
                  <td>{token.label}</td>
                  <td>
                    <code>{token.token_hint}</code>
                  </td>
                  <td>{formatDate(token.created_at)}</td>
                  <td>{formatDate(token.last_used)}</td>
                  <td>{token.expired_at ? formatDate(token.expired_at) : "Never"}</td>
                  <td className="actions">
                    <Button variant="danger" onClick={() => void revoke(token.id)}>
                      Revoke
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </>
  );
}
