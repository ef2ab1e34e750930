// Loading one server resource for a screen: data, error, and a way to reload it.
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, api, asApiError } from "./http";

export type Resource<T> = {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  reload: () => Promise<void>;
  setData: (data: T) => void;
};

export function useResource<T>(path: string | null): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(path !== null);
  const latest = useRef(0);

  const reload = useCallback(async () => {
    if (path === null) return;
    const ticket = ++latest.current;
    setLoading(true);
    try {
      const value = await api.get<T>(path);
      if (ticket !== latest.current) return;
      setData(value);
      setError(null);
    } catch (e) {
      if (ticket !== latest.current) return;
      setData(undefined);
      setError(asApiError(e));
    } finally {
      if (ticket === latest.current) setLoading(false);
    }
  }, [path]);

  useEffect(() => {
    setData(undefined);
    setError(null);
    void reload();
  }, [reload]);

  return { data, error, loading, reload, setData };
}

/** Runs a server call with busy and error state, for a form or a row action. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  /** True when the action succeeded; its error is kept in `error` otherwise. */
  const run = useCallback(async (action: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      await action();
      return true;
    } catch (e) {
      setError(asApiError(e));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  /** The action's value, or null when it failed (its error is kept in `error`). */
  const call = useCallback(async <T,>(action: () => Promise<T>): Promise<T | null> => {
    let value: T | null = null;
    const ok = await run(async () => {
      value = await action();
    });
    return ok ? value : null;
  }, [run]);
  return { busy, error, setError, run, call };
}
