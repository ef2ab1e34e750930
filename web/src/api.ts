// Calls to the server. Readiness answers 200 when every part is up and 503 (same body) when
// one is not; anything else means the server could not be reached.

export type CheckStatus = {
  status: "ok" | "error";
  latency_ms?: number | null;
  error?: string | null;
};

export type Readiness = {
  status: "ready" | "unavailable";
  version: string;
  failing: string[];
  detail?: string | null;
  checks: Record<string, CheckStatus>;
};

export type ReadinessResult =
  | { kind: "ok"; readiness: Readiness; checkedAt: Date }
  | { kind: "unreachable"; message: string; checkedAt: Date };

export async function fetchReadiness(signal?: AbortSignal): Promise<ReadinessResult> {
  const checkedAt = new Date();
  try {
    const response = await fetch("/readyz", { headers: { Accept: "application/json" }, signal });
    if (response.status !== 200 && response.status !== 503) {
      return { kind: "unreachable", message: `The server answered ${response.status}.`, checkedAt };
    }
    const readiness = (await response.json()) as Readiness;
    return { kind: "ok", readiness, checkedAt };
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    return { kind: "unreachable", message: "The server cannot be reached.", checkedAt };
  }
}
