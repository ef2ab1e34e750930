// Workspace and project roles, as Plane numbers them.
import type { RoleCode } from "./types";

export const ROLES: { code: RoleCode; label: string; hint: string }[] = [
  { code: 20, label: "Admin", hint: "Manages settings, members and invitations" },
  { code: 15, label: "Member", hint: "Creates projects and works in them" },
  { code: 5, label: "Guest", hint: "Sees only the projects they are added to" },
];

export function roleName(code: number | null | undefined): string {
  if (code == null) return "—";
  if (code >= 20) return "Admin";
  if (code >= 15) return "Member";
  return "Guest";
}

export const isAdmin = (code: number | null | undefined) => (code ?? 0) >= 20;
export const isMemberOrAbove = (code: number | null | undefined) => (code ?? 0) >= 15;
