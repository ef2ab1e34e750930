// Plane's project errors, by field: `{"name": [..]}`, the 409 shape `{"identifier": "..."}`,
// and the special-character messages it files under non_field_errors.
import type { ApiError } from "../../lib/http";

export function projectErrors(error: ApiError | null): { name?: string; identifier?: string; other: string | null } {
  if (!error) return { other: null };
  let name = error.field("name");
  let identifier = error.field("identifier");
  const general = error.field("non_field_errors");
  let rest = general;
  if (general && /identifier/i.test(general)) {
    identifier = identifier ?? general;
    rest = undefined;
  } else if (general && /name/i.test(general)) {
    name = name ?? general;
    rest = undefined;
  }
  const others = error.fields.filter((f) => !["name", "identifier", "non_field_errors"].includes(f));
  let other: string | null = null;
  if (rest) other = rest;
  else if (others.length) other = error.otherThan(["name", "identifier", "non_field_errors"]);
  else if (!error.fields.length) other = error.message;
  return { name, identifier, other };
}
