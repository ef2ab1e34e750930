import { useEffect, useRef, useState } from "react";
import type { ReadinessResult } from "../api";
import { useSession } from "../auth/session";
import { navigate } from "../router";
import { ReadinessPill } from "./ReadinessPill";
import { Avatar, Link } from "./ui";
import { WorkspaceSwitcher } from "./WorkspaceSwitcher";

function UserMenu() {
  const { user, signOut } = useSession();
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const close = (event: MouseEvent) => {
      if (ref.current && !ref.current.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener("click", close);
    return () => document.removeEventListener("click", close);
  }, []);
  if (!user) return null;
  const name = user.display_name || user.email;
  return (
    <div className="user-menu" ref={ref}>
      <button type="button" className="user-button" aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)} data-testid="user-menu">
        <Avatar name={`${user.first_name} ${user.last_name}`.trim() || name} url={user.avatar_url} />
        <span className="user-name">{name}</span>
      </button>
      {open && (
        <div className="menu" role="menu" onClick={() => setOpen(false)}>
          <div className="menu-head">
            <strong>{name}</strong>
            <span className="muted">{user.email}</span>
          </div>
          <Link href="/profile" role="menuitem">
            Your account
          </Link>
          <Link href="/profile/api-tokens" role="menuitem">
            API tokens
          </Link>
          {user.is_instance_admin && (
            <Link href="/god-mode" role="menuitem">
              Instance settings
            </Link>
          )}
          <button
            type="button"
            role="menuitem"
            onClick={() =>
              void signOut().then(() => navigate("/sign-in", { replace: true }))
            }
          >
            Sign out
          </button>
        </div>
      )}
    </div>
  );
}

export function AppHeader({ readiness }: { readiness: ReadinessResult | null }) {
  const version = readiness?.kind === "ok" ? readiness.readiness.version : null;
  return (
    <header className="app-header">
      <div className="header-left">
        <Link className="brand" href="/">
          <img src="/favicon.svg" alt="" width={28} height={28} />
          <span className="brand-name">Plane</span>
        </Link>
        <span className="header-divider" aria-hidden="true" />
        <WorkspaceSwitcher />
      </div>
      <div className="header-status">
        {version && (
          <span className="version" data-testid="version">
            v{version}
          </span>
        )}
        <ReadinessPill readiness={readiness} />
        <UserMenu />
      </div>
    </header>
  );
}
