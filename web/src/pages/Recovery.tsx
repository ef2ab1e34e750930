// Forgotten password: ask for a link, then set a new password from it.
import { useState, type FormEvent } from "react";
import { Alert, Button, Field, Link } from "../components/ui";
import { ApiError, api } from "../lib/http";
import { useLocation } from "../router";
import { AuthLayout } from "./AuthLayout";

export function ForgotPassword() {
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const result = await api.post<{ detail: string }>("/auth/forgot-password/", { email });
      setSent(result.detail);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthLayout title="Reset your password" subtitle="We'll email you a link to choose a new one." footer={<Link href="/sign-in">Back to sign in</Link>}>
      <form onSubmit={submit} className="form">
        {sent && <Alert tone="success">{sent}</Alert>}
        {error && <Alert tone="error">{error}</Alert>}
        <Field label="Email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="email" />
        <Button type="submit" busy={busy}>
          Send reset link
        </Button>
      </form>
    </AuthLayout>
  );
}

export function ResetPassword() {
  const { query } = useLocation();
  const token = query.get("token") ?? "";
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [done, setDone] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (password !== confirm) {
      setError(new ApiError(400, null, "The two passwords differ."));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api.post("/auth/reset-password/", { token, password });
      setDone(true);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, null, String(e)));
    } finally {
      setBusy(false);
    }
  };

  if (done) {
    return (
      <AuthLayout title="Password changed" footer={<Link href="/sign-in">Sign in</Link>}>
        <Alert tone="success">Your password is set. You have been signed out everywhere; sign in with the new password.</Alert>
      </AuthLayout>
    );
  }
  return (
    <AuthLayout title="Choose a new password" footer={<Link href="/forgot-password">Need a new link?</Link>}>
      <form onSubmit={submit} className="form">
        {error && error.code !== "PASSWORD_TOO_WEAK" && <Alert tone="error">{error.message}</Alert>}
        <Field
          label="New password"
          type="password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          autoComplete="new-password"
          error={error?.code === "PASSWORD_TOO_WEAK" ? error.message : undefined}
        />
        <Field label="Repeat it" type="password" required value={confirm} onChange={(e) => setConfirm(e.target.value)} autoComplete="new-password" />
        <Button type="submit" busy={busy}>
          Set password
        </Button>
      </form>
    </AuthLayout>
  );
}
