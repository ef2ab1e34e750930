import type { ReadinessResult } from "../api";

type Props = { readiness: ReadinessResult | null };

export function ReadinessPill({ readiness }: Props) {
  let tone = "pending";
  let label = "Checking…";
  if (readiness?.kind === "unreachable") {
    tone = "down";
    label = "Server unreachable";
  } else if (readiness?.kind === "ok") {
    const { status, failing } = readiness.readiness;
    tone = status === "ready" ? "up" : "down";
    label = status === "ready" ? "Ready" : `Not ready: ${failing.join(", ")}`;
  }
  return (
    <span className={`pill pill-${tone}`} role="status" data-testid="readiness">
      <span className="pill-dot" aria-hidden="true" />
      {label}
    </span>
  );
}
