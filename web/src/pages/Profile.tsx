// The signed-in user's settings: profile, security (password, sessions) and API tokens.
import { useSession } from "../auth/session";
import { Tabs } from "../components/ui";
import { ProfileTab } from "./profile/ProfileTab";
import { SecurityTab } from "./profile/SecurityTab";
import { TokensTab } from "./profile/TokensTab";

const TABS = [
  { id: "", label: "Profile" },
  { id: "security", label: "Security" },
  { id: "api-tokens", label: "API tokens" },
];

export function Profile({ tab }: { tab: string }) {
  const { user } = useSession();
  if (!user) return null;
  return (
    <div className="page">
      <h1 className="page-title">Your account</h1>
      <Tabs tabs={TABS} active={tab} base="/profile" />
      <div className="stack">
        {tab === "security" ? <SecurityTab user={user} /> : tab === "api-tokens" ? <TokensTab /> : <ProfileTab key={user.id} user={user} />}
      </div>
    </div>
  );
}
