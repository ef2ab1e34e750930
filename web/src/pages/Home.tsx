import type { ReadinessResult } from "../api";
import { useSession } from "../auth/session";

const PART_NAMES: Record<string, string> = {
  database: "Database",
  kv: "Key-value store",
  storage: "File storage",
  queue: "Job queue",
};

type Props = { readiness: ReadinessResult | null };

export function Home({ readiness }: Props) {
  const { user } = useSession();
  const name = user?.first_name || user?.display_name;
  return (
    <div className="page">
      <section className="hero">
        <h1 data-testid="greeting">{name ? `Welcome, ${name}` : "Plane"}</h1>
        <p>
          Projects, work items, cycles and pages for your team, served by one self-contained
          program.
        </p>
      </section>
      <div className="cards">
        <section className="card" aria-labelledby="status-title">
          <h2 id="status-title">This instance</h2>
          <InstanceStatus readiness={readiness} />
        </section>
        <section className="card" aria-labelledby="dev-title">
          <h2 id="dev-title">Developers</h2>
          <p className="muted">
            The REST API answers like Plane's API v1, so Plane's SDKs and scripts work with an
            API key in the <code>X-API-Key</code> header.
          </p>
          <ul className="links">
            <li>
              <a href="/api/schema/swagger-ui/">Interactive API reference (Swagger UI)</a>
            </li>
            <li>
              <a href="/api/schema/redoc/">API documentation (ReDoc)</a>
            </li>
            <li>
              <a href="/api/schema/">OpenAPI document (JSON)</a>
            </li>
          </ul>
        </section>
      </div>
    </div>
  );
}

function InstanceStatus({ readiness }: Props) {
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
