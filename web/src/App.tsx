import { useEffect } from "react";
import { SessionProvider, useSession } from "./auth/session";
import { AppHeader } from "./components/AppHeader";
import { ToastProvider } from "./components/feedback";
import { Link } from "./components/ui";
import { WorkspacesProvider } from "./lib/workspaces";
import { CreateWorkspacePage } from "./pages/CreateWorkspacePage";
import { GodMode } from "./pages/GodMode";
import { Home } from "./pages/Home";
import { InvitationLanding } from "./pages/InvitationLanding";
import { NotFound } from "./pages/NotFound";
import { Profile } from "./pages/Profile";
import { ForgotPassword, ResetPassword } from "./pages/Recovery";
import { Setup } from "./pages/Setup";
import { SignIn, safeNext } from "./pages/SignIn";
import { SignUp } from "./pages/SignUp";
import { WorkspaceScreen } from "./pages/workspace/WorkspaceScreen";
import { here, navigate, useLocation } from "./router";
import { useReadiness } from "./useReadiness";

const PUBLIC_PAGES: Record<string, () => React.ReactElement> = {
  "/sign-in": () => <SignIn />,
  "/sign-up": () => <SignUp />,
  "/forgot-password": () => <ForgotPassword />,
  "/accounts/reset-password": () => <ResetPassword />,
};

/** `/invitations/:id`: open to everyone holding the link, signed in or not. */
function invitationId(path: string): string | null {
  const match = /^\/invitations\/([0-9a-fA-F-]{36})\/?$/.exec(path);
  return match?.[1] ?? null;
}

/** Screens that are not a workspace's. */
const APP_SECTIONS = new Set(["profile", "god-mode", "create-workspace"]);

function Screens() {
  const { path, query } = useLocation();
  const { instance, user, loadError } = useSession();
  const readiness = useReadiness();
  const invitation = invitationId(path);
  const isPublic = path in PUBLIC_PAGES || invitation !== null;

  useEffect(() => {
    if (!instance?.instance.is_setup_done || user === undefined) return;
    if (user === null && !isPublic) navigate(`/sign-in?next_path=${encodeURIComponent(here())}`, { replace: true });
    if (user && (path === "/sign-in" || path === "/sign-up")) navigate(safeNext(query.get("next_path")), { replace: true });
  }, [instance, user, isPublic, path, query]);

  if (!instance) {
    return (
      <div className="splash" data-testid="splash">
        {loadError ? <p className="notice notice-error">{loadError}</p> : <p className="muted">Loading…</p>}
      </div>
    );
  }
  if (!instance.instance.is_setup_done) return <Setup />;
  if (invitation) return <InvitationLanding id={invitation} />;
  if (isPublic) {
    const page = PUBLIC_PAGES[path];
    return page ? page() : null;
  }
  if (!user) return <div className="splash" />;

  const segments = path.split("/").filter(Boolean);
  const [section = "", tab = ""] = segments;
  let page: React.ReactElement;
  let flush = false;
  if (path === "/") page = <Home readiness={readiness} />;
  else if (section === "profile") page = <Profile tab={tab} />;
  else if (section === "god-mode") page = <GodMode tab={tab} />;
  else if (section === "create-workspace") page = <CreateWorkspacePage />;
  else if (!APP_SECTIONS.has(section) && /^[A-Za-z0-9_-]{1,48}$/.test(section)) {
    page = <WorkspaceScreen key={section} slug={section} rest={segments.slice(1)} />;
    flush = true;
  } else page = <NotFound path={path} onHome={() => navigate("/")} />;

  return (
    <div className={flush ? "app app-workspace" : "app"}>
      <AppHeader readiness={readiness} />
      <main className={flush ? "app-main app-main-flush" : "app-main"}>{page}</main>
      {!flush && (
        <footer className="app-footer">
          <span>{instance.instance.instance_name}, served by plane-aio</span>
          <Link href="/profile/api-tokens">API tokens</Link>
          <a href="/api/schema/swagger-ui/">API reference</a>
        </footer>
      )}
    </div>
  );
}

function WithWorkspaces() {
  const { user } = useSession();
  return (
    <WorkspacesProvider userId={user?.id ?? null}>
      <Screens />
    </WorkspacesProvider>
  );
}

export function App() {
  return (
    <SessionProvider>
      <ToastProvider>
        <WithWorkspaces />
      </ToastProvider>
    </SessionProvider>
  );
}
