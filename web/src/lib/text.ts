// Deriving slugs and identifiers from names, as Plane's forms do.

export const SLUG_MAX = 48;
export const IDENTIFIER_MAX = 12;

/** "Acme Corp!" → "acme-corp": letters, digits, - and _, at most 48. */
export function slugify(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .trim()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, SLUG_MAX);
}

/** Keeps what a slug may hold while typing. */
export function cleanSlug(text: string): string {
  return text.replace(/\s+/g, "-").replace(/[^A-Za-z0-9_-]/g, "").slice(0, SLUG_MAX);
}

/** "Mobile App" → "MOBIL": upper case letters and digits, the first five. */
export function identifierFrom(name: string): string {
  return cleanIdentifier(name.normalize("NFKD").replace(/[\u0300-\u036f]/g, "")).slice(0, 5);
}

/** Keeps what an identifier may hold while typing: upper case letters and digits, at most 12. */
export function cleanIdentifier(text: string): string {
  return text.toUpperCase().replace(/[^A-Z0-9]/g, "").slice(0, IDENTIFIER_MAX);
}

/** The characters Plane refuses in project names. */
export const FORBIDDEN_NAME_CHARS = /[&+,:;$^}{*=?@#|'<>.()%!-]/;

export function displayName(person: { display_name?: string; first_name?: string; last_name?: string; email: string }): string {
  const full = `${person.first_name ?? ""} ${person.last_name ?? ""}`.trim();
  return full || person.display_name || person.email;
}
