import type { ReadinessResult } from "../api";
import { ReadinessPill } from "./ReadinessPill";

type Props = { readiness: ReadinessResult | null; onHome: () => void };

export function AppHeader({ readiness, onHome }: Props) {
  const version = readiness?.kind === "ok" ? readiness.readiness.version : null;
  return (
    <header className="app-header">
      <a
        className="brand"
        href="/"
        onClick={(event) => {
          event.preventDefault();
          onHome();
        }}
      >
        <img src="/favicon.svg" alt="" width={28} height={28} />
        <span className="brand-name">Plane</span>
      </a>
      <div className="header-status">
        {version && (
          <span className="version" data-testid="version">
            v{version}
          </span>
        )}
        <ReadinessPill readiness={readiness} />
      </div>
    </header>
  );
}
