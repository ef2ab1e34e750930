import { useEffect } from "react";
import { SessionProvider, useSession } from "./auth/session";
import { AppHeader } from "./components/AppHeader";
import { Link } from "./components/ui";
import { GodMode } from "./pages/GodMode";
import { Home } from "./pages/Home";
import { NotFound } from "./pages/NotFound";
import { Profile } from "./pages/Profile";
import { ForgotPassword, ResetPassword } from "./pages/Recovery";
import { Setup } from "./pages/Setup";
import { SignIn } from "./pages/SignIn";
import { SignUp } from "./pages/SignUp";
import { here, navigate, useLocation } from "./router";
import { useReadiness } from "./useReadiness";

const PUBLIC_PAGES: Record<string, () => React.ReactElement> = {
  "/sign-in": () => <SignIn />,
  "/sign-up": () => <SignUp />,
  "/forgot-password": () => <ForgotPassword />,
  "/accounts/reset-password": () => <ResetPassword />,
};

function Screens() {
  const { path } = useLocation();
  const { instance, user, loadError } = useSession();
  const readiness = useReadiness();
  const isPublic = path in PUBLIC_PAGES;

  useEffect(() => {
    if (!instance?.instance.is_setup_done || user === undefined) return;
    if (user === null && !isPublic) navigate(`/sign-in?next_path=${encodeURIComponent(here())}`, { replace: true });
    if (user && (path === "/sign-in" || path === "/sign-up")) navigate("/", { replace: true });
  }, [instance, user, isPublic, path]);

  if (!instance) {
    return (
      <div className="splash" data-testid="splash">
        {loadError ? <p className="notice notice-error">{loadError}</p> : <p className="muted">Loading…</p>}
      </div>
    );
  }
  if (!instance.instance.is_setup_done) return <Setup />;
  if (isPublic) {
    const page = PUBLIC_PAGES[path];
    return page ? page() : null;
  }
  if (!user) return <div className="splash" />;

  const [section, tab = ""] = path.split("/").filter(Boolean);
  let page: React.ReactElement;
  if (path === "/") page = <Home readiness={readiness} />;
  else if (section === "profile") page = <Profile tab={tab} />;
  else if (section === "god-mode") page = <GodMode tab={tab} />;
  else page = <NotFound path={path} onHome={() => navigate("/")} />;

  return (
    <div className="app">
      <AppHeader readiness={readiness} />
      <main className="app-main">{page}</main>
      <footer className="app-footer">
        <span>{instance.instance.instance_name}, served by plane-aio</span>
        <Link href="/profile/api-tokens">API tokens</Link>
        <a href="/api/schema/swagger-ui/">API reference</a>
      </footer>
    </div>
  );
}

export function App() {
  return (
    <SessionProvider>
      <Screens />
    </SessionProvider>
  );
}
