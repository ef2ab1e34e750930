import { useEffect, useState } from "react";
import { fetchReadiness, type ReadinessResult } from "./api";

const REFRESH_MS = 10_000;

/** Polls `/readyz` while the page is open. `null` until the first answer. */
export function useReadiness(): ReadinessResult | null {
  const [result, setResult] = useState<ReadinessResult | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    let timer: number | undefined;
    const poll = async () => {
      try {
        setResult(await fetchReadiness(controller.signal));
      } catch {
        return; // aborted: the page is going away
      }
      timer = window.setTimeout(poll, REFRESH_MS);
    };
    void poll();
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, []);
  return result;
}
