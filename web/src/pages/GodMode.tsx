// Instance settings for instance admins (Plane calls it "god-mode").
import { useSession } from "../auth/session";
import { Alert, Tabs } from "../components/ui";
import { AuthTab } from "./admin/AuthTab";
import { EmailTab } from "./admin/EmailTab";
import { GeneralTab } from "./admin/GeneralTab";
import { UsersTab } from "./admin/UsersTab";
import { useSettings } from "./admin/settings";

const TABS = [
  { id: "", label: "General" },
  { id: "authentication", label: "Authentication" },
  { id: "email", label: "Email" },
  { id: "users", label: "Users" },
];

export function GodMode({ tab }: { tab: string }) {
  const { user } = useSession();
  const { settings, save } = useSettings();
  if (!user?.is_instance_admin) {
    return (
      <div className="page narrow">
        <Alert tone="error">Only instance admins can open the instance settings.</Alert>
      </div>
    );
  }
  return (
    <div className="page">
      <h1 className="page-title">Instance settings</h1>
      <Tabs tabs={TABS} active={tab} base="/god-mode" />
      <div className="stack">
        {!settings ? (
          <p className="muted">Loading…</p>
        ) : tab === "authentication" ? (
          <AuthTab settings={settings} save={save} />
        ) : tab === "email" ? (
          <EmailTab settings={settings} save={save} />
        ) : tab === "users" ? (
          <UsersTab />
        ) : (
          <GeneralTab settings={settings} save={save} />
        )}
      </div>
    </div>
  );
}
