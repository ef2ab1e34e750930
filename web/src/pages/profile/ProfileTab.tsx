import { useMemo, useState, type FormEvent } from "react";
import { useSession } from "../../auth/session";
import { Alert, Avatar, Button, Card, Field, Select } from "../../components/ui";
import { ApiError, api } from "../../lib/http";
import type { User } from "../../lib/types";

type Upload = { upload: { method: string; url: string; headers: Record<string, string> }; asset_key: string };

function timezones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  const zones = intl.supportedValuesOf?.("timeZone") ?? [];
  return zones.includes("UTC") ? zones : ["UTC", ...zones];
}

export function ProfileTab({ user }: { user: User }) {
  const { setUser } = useSession();
  const [form, setForm] = useState({
    first_name: user.first_name,
    last_name: user.last_name,
    display_name: user.display_name,
    user_timezone: user.user_timezone,
  });
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const zones = useMemo(timezones, []);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      setUser(await api.patch<User>("/api/users/me/", form));
      setSaved(true);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, null, String(e)));
    } finally {
      setBusy(false);
    }
  };

  const uploadAvatar = async (file: File) => {
    setError(null);
    try {
      const plan = await api.post<Upload>("/api/users/me/avatar/", { name: file.name, type: file.type, size: file.size });
      const response = await fetch(plan.upload.url, { method: plan.upload.method, headers: plan.upload.headers, body: file });
      if (!response.ok) throw new ApiError(response.status, null, "The upload did not go through.");
      setUser(await api.patch<User>("/api/users/me/", { avatar_asset: plan.asset_key }));
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, null, String(e)));
    }
  };

  const removeAvatar = async () => {
    setUser(await api.patch<User>("/api/users/me/", { avatar_asset: "" }));
  };

  const set = (key: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setForm({ ...form, [key]: e.target.value });

  return (
    <>
      <Card title="Photo">
        <div className="avatar-row">
          <Avatar name={user.display_name || user.email} url={user.avatar_url} size={64} />
          <label className="button button-secondary">
            Upload a photo
            <input
              type="file"
              accept="image/png,image/jpeg,image/webp,image/gif"
              hidden
              data-testid="avatar-input"
              onChange={(e) => {
                const file = e.target.files?.[0];
                if (file) void uploadAvatar(file);
              }}
            />
          </label>
          {user.avatar_url && (
            <Button variant="secondary" type="button" onClick={() => void removeAvatar()}>
              Remove
            </Button>
          )}
        </div>
      </Card>
      <Card title="Profile">
        <form onSubmit={save} className="form" data-testid="profile-form">
          {error && <Alert tone="error">{error.message}</Alert>}
          {saved && <Alert tone="success">Saved.</Alert>}
          <div className="row">
            <Field label="First name" value={form.first_name} onChange={set("first_name")} />
            <Field label="Last name" value={form.last_name} onChange={set("last_name")} />
          </div>
          <Field label="Display name" required value={form.display_name} onChange={set("display_name")} error={error?.field("display_name")} />
          <Field label="Email" value={user.email} disabled hint="Your sign-in address." />
          <Select label="Time zone" value={form.user_timezone} onChange={set("user_timezone")}>
            {zones.map((zone) => (
              <option key={zone} value={zone}>
                {zone}
              </option>
            ))}
          </Select>
          <Button type="submit" busy={busy}>
            Save changes
          </Button>
        </form>
      </Card>
    </>
  );
}
