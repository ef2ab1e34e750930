// The icon of a state group, drawn in the state's colour.
import type { StateGroup } from "../../lib/types";

export function StateIcon({ group, color, size = 16 }: { group: StateGroup | "triage"; color: string; size?: number }) {
  const common = { width: size, height: size, viewBox: "0 0 16 16", "aria-hidden": true } as const;
  switch (group) {
    case "backlog":
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="6" fill="none" stroke={color} strokeWidth="1.6" strokeDasharray="2.4 2" />
        </svg>
      );
    case "unstarted":
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="6" fill="none" stroke={color} strokeWidth="1.6" />
        </svg>
      );
    case "started":
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="6" fill="none" stroke={color} strokeWidth="1.6" />
          <path d="M8 4a4 4 0 0 1 0 8Z" fill={color} />
        </svg>
      );
    case "completed":
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="7" fill={color} />
          <path d="m5 8.2 2 2 4-4.2" fill="none" stroke="#fff" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
      );
    case "cancelled":
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="7" fill={color} />
          <path d="m5.5 5.5 5 5m0-5-5 5" stroke="#fff" strokeWidth="1.6" strokeLinecap="round" />
        </svg>
      );
    default:
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="6" fill={color} />
        </svg>
      );
  }
}
