import { useState, type FormEvent } from "react";
import { useSession } from "../../auth/session";
import { Alert, Button, Card, CopyField, Field, Toggle } from "../../components/ui";
import { ApiError } from "../../lib/http";
import { type Settings, value } from "./settings";

type Provider = { id: string; name: string; hostKey?: string; hostLabel?: string; hostHint?: string };

const PROVIDERS: Provider[] = [
  { id: "github", name: "GitHub", hostKey: "GITHUB_HOST", hostLabel: "GitHub address", hostHint: "https://github.com, or your GitHub Enterprise server." },
  { id: "google", name: "Google" },
  { id: "gitlab", name: "GitLab", hostKey: "GITLAB_HOST", hostLabel: "GitLab address", hostHint: "https://gitlab.com, or your own GitLab." },
  { id: "gitea", name: "Gitea", hostKey: "GITEA_HOST", hostLabel: "Gitea address", hostHint: "Your Gitea server, e.g. https://git.example.com." },
  { id: "oidc", name: "OpenID Connect", hostKey: "OIDC_ISSUER_URL", hostLabel: "Issuer URL", hostHint: "The provider's issuer (its /.well-known/openid-configuration lives there)." },
];

function ProviderCard({ provider, settings, save, redirectUri }: { provider: Provider; settings: Settings; save: (c: Record<string, string>) => Promise<void>; redirectUri: string }) {
  const upper = provider.id.toUpperCase();
  const secretKey = `${upper}_CLIENT_SECRET`;
  const [form, setForm] = useState<Record<string, string>>({
    [`IS_${upper}_ENABLED`]: value(settings, `IS_${upper}_ENABLED`) || "0",
    [`${upper}_CLIENT_ID`]: value(settings, `${upper}_CLIENT_ID`),
    [secretKey]: "",
    ...(provider.hostKey ? { [provider.hostKey]: value(settings, provider.hostKey) } : {}),
    ...(provider.id === "oidc" ? { OIDC_DISPLAY_NAME: value(settings, "OIDC_DISPLAY_NAME") } : {}),
  });
  const [message, setMessage] = useState<{ tone: "error" | "success"; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const secretSet = settings[secretKey]?.is_set ?? false;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setMessage(null);
    const changes = { ...form };
    if (!changes[secretKey]) delete changes[secretKey];
    try {
      await save(changes);
      setForm({ ...form, [secretKey]: "" });
      setMessage({ tone: "success", text: "Saved." });
    } catch (e) {
      setMessage({ tone: "error", text: e instanceof ApiError ? e.message : String(e) });
    } finally {
      setBusy(false);
    }
  };

  const set = (key: string) => (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [key]: e.target.value });

  return (
    <Card title={provider.name}>
      <form onSubmit={submit} className="form" data-testid={`provider-${provider.id}`}>
        {message && <Alert tone={message.tone}>{message.text}</Alert>}
        <Toggle label={`Sign in with ${provider.name}`} checked={form[`IS_${upper}_ENABLED`] === "1"} onChange={(on) => setForm({ ...form, [`IS_${upper}_ENABLED`]: on ? "1" : "0" })} />
        <div className="field">
          <label>Redirect URI (register this with {provider.name})</label>
          <CopyField value={redirectUri} label={`redirect-${provider.id}`} />
        </div>
        {provider.hostKey && <Field label={provider.hostLabel ?? "Address"} value={form[provider.hostKey]} onChange={set(provider.hostKey)} hint={provider.hostHint} />}
        <div className="row">
          <Field label="Client ID" value={form[`${upper}_CLIENT_ID`]} onChange={set(`${upper}_CLIENT_ID`)} autoComplete="off" />
          <Field label="Client secret" type="password" value={form[secretKey]} onChange={set(secretKey)} placeholder={secretSet ? "Saved — type to replace" : ""} autoComplete="new-password" />
        </div>
        {provider.id === "oidc" && <Field label="Button label" value={form.OIDC_DISPLAY_NAME} onChange={set("OIDC_DISPLAY_NAME")} />}
        <Button type="submit" busy={busy}>
          Save {provider.name}
        </Button>
      </form>
    </Card>
  );
}

export function AuthTab({ settings, save }: { settings: Settings; save: (c: Record<string, string>) => Promise<void> }) {
  const { instance, refresh } = useSession();
  const [form, setForm] = useState({
    ENABLE_SIGNUP: value(settings, "ENABLE_SIGNUP") || "0",
    ALLOWED_EMAIL_DOMAINS: value(settings, "ALLOWED_EMAIL_DOMAINS"),
    ENABLE_EMAIL_PASSWORD: value(settings, "ENABLE_EMAIL_PASSWORD") || "1",
    ENABLE_MAGIC_LINK_LOGIN: value(settings, "ENABLE_MAGIC_LINK_LOGIN") || "1",
  });
  const [message, setMessage] = useState<{ tone: "error" | "success"; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const savingSave = async (changes: Record<string, string>) => {
    await save(changes);
    await refresh();
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setMessage(null);
    try {
      await savingSave(form);
      setMessage({ tone: "success", text: "Saved." });
    } catch (e) {
      setMessage({ tone: "error", text: e instanceof ApiError ? e.message : String(e) });
    } finally {
      setBusy(false);
    }
  };

  const flag = (key: keyof typeof form) => (on: boolean) => setForm({ ...form, [key]: on ? "1" : "0" });

  return (
    <>
      <Card title="Who can sign in">
        <form onSubmit={submit} className="form" data-testid="auth-form">
          {message && <Alert tone={message.tone}>{message.text}</Alert>}
          <Toggle label="Allow sign-up" hint="People can create their own accounts (by email code or a provider)." checked={form.ENABLE_SIGNUP === "1"} onChange={flag("ENABLE_SIGNUP")} />
          <Field
            label="Allowed email domains"
            value={form.ALLOWED_EMAIL_DOMAINS}
            placeholder="example.com, example.org"
            onChange={(e) => setForm({ ...form, ALLOWED_EMAIL_DOMAINS: e.target.value })}
            hint="New accounts only from these domains; empty allows any."
          />
          <Toggle label="Email and password" checked={form.ENABLE_EMAIL_PASSWORD === "1"} onChange={flag("ENABLE_EMAIL_PASSWORD")} />
          <Toggle label="Emailed sign-in codes" hint="Needs email delivery (Email tab)." checked={form.ENABLE_MAGIC_LINK_LOGIN === "1"} onChange={flag("ENABLE_MAGIC_LINK_LOGIN")} />
          <Button type="submit" busy={busy}>
            Save
          </Button>
        </form>
      </Card>
      {PROVIDERS.map((provider) => (
        <ProviderCard key={provider.id} provider={provider} settings={settings} save={savingSave} redirectUri={instance?.config.oauth_redirect_uris[provider.id] ?? ""} />
      ))}
    </>
  );
}
