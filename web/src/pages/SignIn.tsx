// Sign-in: password, emailed code, or a provider. A provider sign-in that fails comes back
// here with Plane's error_code and error_message (its name) in the query, and `error`, the
// server's detail for whoever reads the address bar. The page shows only its own sentence for
// the name: anyone can write a link with any `error` text, and it must not speak for the site.
import { useState, type FormEvent } from "react";
import { useSession } from "../auth/session";
import { Alert, Button, Field, Link } from "../components/ui";
import { ApiError, api } from "../lib/http";
import type { InstanceInfo, SignedIn } from "../lib/types";
import { navigate, useLocation } from "../router";
import { AuthLayout } from "./AuthLayout";

export function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export function ProviderButtons({ config, next }: { config: InstanceInfo["config"]; next: string }) {
  const providers: [string, string, boolean][] = [
    ["google", "Google", config.is_google_enabled],
    ["github", "GitHub", config.is_github_enabled],
    ["gitlab", "GitLab", config.is_gitlab_enabled],
    ["gitea", "Gitea", config.is_gitea_enabled],
    ["oidc", config.oidc_display_name || "Single sign-on", config.is_oidc_enabled],
  ];
  const enabled = providers.filter(([, , on]) => on);
  if (!enabled.length) return null;
  return (
    <div className="providers">
      {enabled.map(([id, name]) => (
        <a key={id} className="button button-secondary provider" href={`/auth/${id}/?next_path=${encodeURIComponent(next)}`}>
          Continue with {name}
        </a>
      ))}
      <div className="divider">
        <span>or</span>
      </div>
    </div>
  );
}

const PROVIDER_NAMES: Record<string, string> = { GOOGLE: "Google", GITHUB: "GitHub", GITLAB: "GitLab", GITEA: "Gitea" };

/** The sentence for a refused sign-in's error name (Plane's `error_message`). */
export function refusalSentence(name: string, singleSignOn: string): string {
  const provider = PROVIDER_NAMES[name.split("_")[0] ?? ""] ?? singleSignOn;
  if (name.endsWith("_NOT_CONFIGURED") && name !== "SMTP_NOT_CONFIGURED") {
    return `Sign-in with ${provider} is not set up on this instance.`;
  }
  if (name.endsWith("_OAUTH_PROVIDER_ERROR") || name === "AUTHENTICATION_FAILED") {
    return `${provider} did not complete the sign-in, or did not confirm your email address. Try again, or sign in another way.`;
  }
  switch (name) {
    case "EMAIL_REQUIRED":
      return "The provider did not share your email address. Allow access to it, or sign in another way.";
    case "SIGNUP_DISABLED":
      return "This instance does not open accounts this way. Ask an administrator to invite you.";
    case "AUTHENTICATION_FAILED_SIGN_IN":
      return "This account cannot sign in. Ask an administrator.";
    case "RATE_LIMIT_EXCEEDED":
      return "Too many attempts. Wait a minute and try again.";
    default:
      return "The sign-in did not succeed. Try again, or sign in another way.";
  }
}

export function SignIn() {
  const { instance, setUser } = useSession();
  const { query } = useLocation();
  const next = safeNext(query.get("next_path"));
  const config = instance?.config;
  const codeAvailable = !!config?.is_magic_login_enabled && !!config?.is_smtp_configured;
  const passwordAvailable = config?.is_email_password_enabled ?? true;
  const [mode, setMode] = useState<"password" | "code">(passwordAvailable ? "password" : "code");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [codeSent, setCodeSent] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // A refused provider sign-in, named by the query, until the visitor tries again.
  const [refusal, setRefusal] = useState<string | null>(query.get("error_code") ? (query.get("error_message") ?? "") : null);
  const [busy, setBusy] = useState(false);
  const shownError = error ?? (refusal === null ? null : refusalSentence(refusal, config?.oidc_display_name || "Single sign-on"));

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    setRefusal(null);
    try {
      await action();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  const signIn = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const result =
        mode === "password"
          ? await api.post<SignedIn>("/auth/sign-in/", { email, password })
          : await api.post<SignedIn>("/auth/magic-sign-in/", { email, code });
      setUser(result.user);
      navigate(next, { replace: true });
    });
  };

  const sendCode = () =>
    void run(async () => {
      await api.post("/auth/magic-generate/", { email });
      setCodeSent(true);
    });

  return (
    <AuthLayout
      title={`Sign in to ${instance?.instance.instance_name ?? "Plane"}`}
      footer={
        config?.enable_signup ? (
          <span>
            New here? <Link href={next === "/" ? "/sign-up" : `/sign-up?next_path=${encodeURIComponent(next)}`}>Create an account</Link>
          </span>
        ) : undefined
      }
    >
      {config && <ProviderButtons config={config} next={next} />}
      <form onSubmit={signIn} className="form" data-testid="sign-in-form">
        {shownError && <Alert tone="error">{shownError}</Alert>}
        <Field label="Email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="email" />
        {mode === "password" ? (
          <>
            <Field label="Password" type="password" required value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" />
            <Button type="submit" busy={busy}>
              Sign in
            </Button>
            <div className="form-links">
              <Link href="/forgot-password">Forgot your password?</Link>
              {codeAvailable && (
                <button type="button" className="linklike" onClick={() => setMode("code")}>
                  Email me a sign-in code instead
                </button>
              )}
            </div>
          </>
        ) : (
          <>
            {codeSent ? (
              <>
                <Alert tone="info">If this address can sign in here, a code is on its way. It works for 10 minutes.</Alert>
                <Field label="Code" required value={code} onChange={(e) => setCode(e.target.value)} placeholder="abcd-efgh-ijkl" autoComplete="one-time-code" />
                <Button type="submit" busy={busy}>
                  Sign in
                </Button>
              </>
            ) : (
              <Button type="button" busy={busy} onClick={sendCode} disabled={!email}>
                Email me a code
              </Button>
            )}
            {passwordAvailable && (
              <div className="form-links">
                <button type="button" className="linklike" onClick={() => setMode("password")}>
                  Use my password instead
                </button>
              </div>
            )}
          </>
        )}
      </form>
    </AuthLayout>
  );
}
