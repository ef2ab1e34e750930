// Sign-up: the address is proven with an emailed code, then a password (or none: the code
// alone signs in, and later sign-ins can use codes too).
import { useState, type FormEvent } from "react";
import { useSession } from "../auth/session";
import { Alert, Button, Field, Link } from "../components/ui";
import { ApiError, api } from "../lib/http";
import type { SignedIn } from "../lib/types";
import { navigate, useLocation } from "../router";
import { AuthLayout } from "./AuthLayout";
import { ProviderButtons, safeNext } from "./SignIn";

export function SignUp() {
  const { instance, setUser } = useSession();
  const { query } = useLocation();
  const next = safeNext(query.get("next_path"));
  // Someone following an invitation may sign up even when sign-up is closed (as in Plane).
  const invited = next.startsWith("/invitations/");
  const [step, setStep] = useState<"email" | "details">("email");
  const [form, setForm] = useState({ email: query.get("email") ?? "", code: "", first_name: "", last_name: "", password: "" });
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const config = instance?.config;
  // Without code sign-in the account needs a password; without passwords, codes are the way in.
  const codesSignIn = config?.is_magic_login_enabled ?? true;
  const passwords = config?.is_email_password_enabled ?? true;

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, null, String(e)));
    } finally {
      setBusy(false);
    }
  };

  if (config && !config.enable_signup && !invited) {
    return (
      <AuthLayout title="Sign-up is closed" footer={<Link href="/sign-in">Back to sign in</Link>}>
        <p className="muted">This instance does not take new accounts. Ask an administrator for an invitation.</p>
      </AuthLayout>
    );
  }

  const sendCode = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await api.post("/auth/magic-generate/", { email: form.email });
      setStep("details");
    });
  };

  const finish = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const result = form.password && passwords
        ? await api.post<SignedIn>("/auth/sign-up/", form)
        : await api.post<SignedIn>("/auth/magic-sign-in/", form);
      setUser(result.user);
      navigate(next, { replace: true });
    });
  };

  const set = (key: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [key]: e.target.value });

  return (
    <AuthLayout title="Create your account" footer={<span>Already have one? <Link href={next === "/" ? "/sign-in" : `/sign-in?next_path=${encodeURIComponent(next)}`}>Sign in</Link></span>}>
      {config && step === "email" && <ProviderButtons config={config} next={next} />}
      {step === "email" ? (
        <form onSubmit={sendCode} className="form">
          {error && <Alert tone="error">{error.message}</Alert>}
          <Field label="Email" type="email" required value={form.email} onChange={set("email")} autoComplete="email" />
          <Button type="submit" busy={busy}>
            Continue
          </Button>
        </form>
      ) : (
        <form onSubmit={finish} className="form">
          <Alert tone="info">We sent a code to {form.email}. It works for 10 minutes.</Alert>
          {error && error.code !== "PASSWORD_TOO_WEAK" && <Alert tone="error">{error.message}</Alert>}
          <Field label="Code" required value={form.code} onChange={set("code")} placeholder="abcd-efgh-ijkl" autoComplete="one-time-code" />
          <div className="row">
            <Field label="First name" value={form.first_name} onChange={set("first_name")} autoComplete="given-name" />
            <Field label="Last name" value={form.last_name} onChange={set("last_name")} autoComplete="family-name" />
          </div>
          {passwords && <Field
            label={codesSignIn ? "Password (optional)" : "Password"}
            type="password"
            required={!codesSignIn}
            value={form.password}
            onChange={set("password")}
            autoComplete="new-password"
            error={error?.code === "PASSWORD_TOO_WEAK" ? error.message : undefined}
            hint={codesSignIn ? "Leave empty to sign in with emailed codes." : undefined}
          />}
          <Button type="submit" busy={busy}>
            Create account
          </Button>
        </form>
      )}
    </AuthLayout>
  );
}
