// The header's workspace switcher: every workspace of the user, and a way to create one.
import { roleName } from "../lib/roles";
import { useWorkspaces } from "../lib/workspaces";
import { useLocation } from "../router";
import { CheckIcon, ChevronDownIcon, HomeIcon, PlusIcon } from "./icons";
import { WorkspaceLogo } from "./marks";
import { Dropdown } from "./overlay";
import { Link } from "./ui";

export function WorkspaceSwitcher() {
  const { workspaces } = useWorkspaces();
  const { path } = useLocation();
  const first = path.split("/").filter(Boolean)[0];
  const current = workspaces?.find((w) => w.slug === first);
  return (
    <Dropdown
      testId="workspace-switcher"
      trigger={({ open, toggle }) => (
        <button type="button" className="switcher-button" aria-haspopup="menu" aria-expanded={open} onClick={toggle}>
          {current ? <WorkspaceLogo name={current.name} seed={current.slug} size={22} /> : null}
          <span className="switcher-name">{current?.name ?? "Workspaces"}</span>
          <ChevronDownIcon size={14} />
        </button>
      )}
    >
      {() => (
        <>
          <div className="menu-label">Your workspaces</div>
          {workspaces?.length === 0 && <p className="menu-empty muted">You are not in any workspace yet.</p>}
          {workspaces?.map((w) => (
            <Link key={w.id} href={`/${w.slug}/`} role="menuitem" className={w.slug === first ? "menu-item menu-item-active" : "menu-item"}>
              <WorkspaceLogo name={w.name} seed={w.slug} size={22} />
              <span className="menu-item-text">
                <span className="menu-item-title">{w.name}</span>
                <span className="muted menu-item-sub">
                  {roleName(w.role)} · {w.total_members} {w.total_members === 1 ? "member" : "members"}
                </span>
              </span>
              {w.slug === first && <CheckIcon size={14} />}
            </Link>
          ))}
          <div className="menu-sep" />
          <Link href="/create-workspace" role="menuitem" className="menu-item">
            <PlusIcon /> Create workspace
          </Link>
          <Link href="/" role="menuitem" className="menu-item">
            <HomeIcon /> Home and invitations
          </Link>
        </>
      )}
    </Dropdown>
  );
}
