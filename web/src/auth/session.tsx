// What the whole UI needs to know: the instance (is it set up, which sign-in methods exist)
// and who is signed in. Loaded once, refreshed after sign-in, sign-out and profile changes.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { ApiError, api } from "../lib/http";
import type { InstanceInfo, User } from "../lib/types";

type SessionState = {
  instance: InstanceInfo | null;
  /** undefined while loading, null when signed out. */
  user: User | null | undefined;
  loadError: string | null;
  refresh: () => Promise<void>;
  setUser: (user: User | null) => void;
  signOut: () => Promise<void>;
};

const SessionContext = createContext<SessionState | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [instance, setInstance] = useState<InstanceInfo | null>(null);
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [loadError, setLoadError] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    try {
      const info = await api.get<InstanceInfo>("/api/instances/");
      setInstance(info);
      // The tab shows the instance's configured name (god-mode), as Plane's does.
      document.title = info.instance.instance_name || "Plane";
      setLoadError(null);
    } catch (error) {
      setLoadError(error instanceof Error ? error.message : "The server cannot be reached.");
    }
    try {
      setUser(await api.get<User>("/api/users/me/"));
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) setUser(null);
      else setUser(null);
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const signOut = useCallback(async () => {
    try {
      await api.post("/auth/sign-out/");
    } finally {
      setUser(null);
    }
  }, []);

  return (
    <SessionContext.Provider value={{ instance, user, loadError, refresh, setUser, signOut }}>
      {children}
    </SessionContext.Provider>
  );
}

export function useSession(): SessionState {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSession outside SessionProvider");
  return value;
}
