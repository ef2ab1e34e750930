// What every screen inside a workspace needs: the workspace (with the caller's role) and its
// projects, loaded once by WorkspaceScreen.
import { createContext, useContext } from "react";
import type { Paged, Project, Workspace } from "../../lib/types";
import type { Resource } from "../../lib/useResource";

export type WorkspaceState = {
  workspace: Workspace;
  reloadWorkspace: () => Promise<void>;
  projects: Resource<Paged<Project>>;
  /** Admin of the workspace. */
  isAdmin: boolean;
  /** Admin or member (not guest). */
  isMember: boolean;
  isOwner: boolean;
};

export const WorkspaceContext = createContext<WorkspaceState | null>(null);

export function useWorkspace(): WorkspaceState {
  const value = useContext(WorkspaceContext);
  if (!value) throw new Error("useWorkspace outside a workspace");
  return value;
}

export const projectsPath = (slug: string) => `/api/v1/workspaces/${slug}/projects/?per_page=1000&order_by=name`;
export const projectPath = (slug: string, id: string) => `/api/v1/workspaces/${slug}/projects/${id}`;
