// The health of the instance's parts, from /readyz.
import type { ReadinessResult } from "../api";

const PART_NAMES: Record<string, string> = {
  database: "Database",
  kv: "Key-value store",
  storage: "File storage",
  queue: "Job queue",
};

type Props = { readiness: ReadinessResult | null };

export function InstanceStatus({ readiness }: Props) {
  if (readiness === null) {
    return <p className="muted">Checking the server…</p>;
  }
  if (readiness.kind === "unreachable") {
    return (
      <p className="notice notice-error" data-testid="unreachable">
        {readiness.message} Retrying every 10 seconds.
      </p>
    );
  }
  const { version, checks, detail } = readiness.readiness;
  return (
    <>
      {detail && <p className="notice notice-error">{detail}</p>}
      <table className="checks">
        <tbody>
          {Object.entries(checks).map(([name, check]) => (
            <tr key={name} data-testid={`check-${name}`}>
              <th scope="row">{PART_NAMES[name] ?? name}</th>
              <td>
                <span className={check.status === "ok" ? "ok" : "bad"}>
                  {check.status === "ok" ? "Reachable" : "Unreachable"}
                </span>
              </td>
              <td className="muted">
                {check.status === "ok" ? `${check.latency_ms ?? 0} ms` : (check.error ?? "")}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">
        plane-aio {version} · checked {readiness.checkedAt.toLocaleTimeString()}
      </p>
    </>
  );
}
