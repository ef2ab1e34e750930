// The signed-in user's workspaces, shared by the header's switcher and the screens that change
// them (create, rename, leave, delete, accept an invitation).
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { api } from "./http";
import type { Paged, Workspace } from "./types";

type WorkspacesState = {
  /** undefined until loaded. */
  workspaces: Workspace[] | undefined;
  reload: () => Promise<void>;
};

const Context = createContext<WorkspacesState>({ workspaces: undefined, reload: async () => {} });

export function WorkspacesProvider({ userId, children }: { userId: string | null; children: ReactNode }) {
  const [workspaces, setWorkspaces] = useState<Workspace[] | undefined>(undefined);
  const reload = useCallback(async () => {
    if (!userId) {
      setWorkspaces(undefined);
      return;
    }
    try {
      const page = await api.get<Paged<Workspace>>("/api/v1/workspaces/?per_page=1000");
      setWorkspaces(page.results);
    } catch {
      setWorkspaces((current) => current ?? []);
    }
  }, [userId]);
  useEffect(() => {
    setWorkspaces(undefined);
    void reload();
  }, [reload]);
  return <Context.Provider value={{ workspaces, reload }}>{children}</Context.Provider>;
}

export function useWorkspaces(): WorkspacesState {
  return useContext(Context);
}
