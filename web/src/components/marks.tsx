// The small coloured squares that stand for a workspace or a project.
import type { Project } from "../lib/types";

const PALETTE = ["#3f76ff", "#0ea5e9", "#14b8a6", "#22c55e", "#f59e0b", "#f97316", "#ef4444", "#ec4899", "#a855f7", "#6366f1"];

function colorFor(text: string): string {
  let hash = 0;
  for (const char of text) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return PALETTE[hash % PALETTE.length] ?? "#3f76ff";
}

/** `seed` (the slug) keeps the colour when the workspace is renamed. */
export function WorkspaceLogo({ name, seed, size = 24 }: { name: string; seed?: string; size?: number }) {
  return (
    <span className="mark" style={{ width: size, height: size, fontSize: size * 0.5, background: colorFor(seed ?? name) }} aria-hidden="true">
      {name.trim()[0]?.toUpperCase() ?? "?"}
    </span>
  );
}

export function ProjectMark({ project, size = 24 }: { project: Pick<Project, "name" | "identifier" | "logo_props">; size?: number }) {
  const color = project.logo_props?.icon?.color;
  const emoji = project.logo_props?.in_use === "emoji" ? project.logo_props.emoji?.value : undefined;
  if (emoji && /^[0-9-]+$/.test(emoji)) {
    const text = String.fromCodePoint(...emoji.split("-").map((part) => Number(part)));
    return (
      <span className="mark mark-emoji" style={{ width: size, height: size, fontSize: size * 0.6 }} aria-hidden="true">
        {text}
      </span>
    );
  }
  return (
    <span className="mark mark-project" style={{ width: size, height: size, fontSize: size * 0.45, background: color && /^#[0-9a-f]{3,8}$/i.test(color) ? color : colorFor(project.identifier) }} aria-hidden="true">
      {project.name.trim()[0]?.toUpperCase() ?? "?"}
    </span>
  );
}
