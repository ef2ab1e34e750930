// First run: the first account becomes the instance admin. Shown until the instance is set up.
import { useState, type FormEvent } from "react";
import { useSession } from "../auth/session";
import { Alert, Button, Field } from "../components/ui";
import { ApiError, api } from "../lib/http";
import type { SignedIn } from "../lib/types";
import { navigate } from "../router";
import { AuthLayout } from "./AuthLayout";

export function Setup() {
  const { setUser, refresh } = useSession();
  const [form, setForm] = useState({ first_name: "", last_name: "", email: "", password: "" });
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const result = await api.post<SignedIn>("/api/instances/admins/sign-up/", form);
      setUser(result.user);
      await refresh();
      navigate("/", { replace: true });
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, null, String(e)));
    } finally {
      setBusy(false);
    }
  };

  const set = (key: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [key]: e.target.value });
  const passwordError = error?.code === "PASSWORD_TOO_WEAK" ? error.message : undefined;
  const emailError = error?.code === "INVALID_EMAIL" ? error.message : undefined;

  return (
    <AuthLayout title="Set up Plane" subtitle="Create the first account. It administers this instance: sign-in methods, email and users.">
      <form onSubmit={submit} className="form" data-testid="setup-form">
        {error && !passwordError && !emailError && <Alert tone="error">{error.message}</Alert>}
        <div className="row">
          <Field label="First name" value={form.first_name} onChange={set("first_name")} autoComplete="given-name" />
          <Field label="Last name" value={form.last_name} onChange={set("last_name")} autoComplete="family-name" />
        </div>
        <Field label="Email" type="email" required value={form.email} onChange={set("email")} autoComplete="email" error={emailError} />
        <Field
          label="Password"
          type="password"
          required
          value={form.password}
          onChange={set("password")}
          autoComplete="new-password"
          error={passwordError}
          hint="At least 8 characters and hard to guess: a few unrelated words work well."
        />
        <Button type="submit" busy={busy}>
          Create admin account
        </Button>
      </form>
    </AuthLayout>
  );
}
