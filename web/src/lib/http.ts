// The one way the UI talks to the server: JSON in and out, the session cookie sent by the
// browser, and the CSRF token (from the `csrftoken` cookie) on every unsafe request.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown> | null,
    message: string,
  ) {
    super(message);
  }

  /** Plane-style error code (`error_code`), when the server gave one. */
  get code(): string | undefined {
    const code = this.body?.["error_code"];
    return typeof code === "string" ? code : undefined;
  }

  /** Messages for one field of a validation error (`{"field": ["message"]}`, or Plane's
   * 409 shape `{"field": "message"}`). */
  field(name: string): string | undefined {
    const value = this.body?.[name];
    if (Array.isArray(value)) return value.filter((v) => typeof v === "string").join(" ") || undefined;
    return typeof value === "string" ? value : undefined;
  }

  /** What to show above a form whose fields show their own messages: null when every problem
   * is about one of `shown`. */
  otherThan(shown: string[]): string | null {
    const fields = this.fields;
    if (fields.length === 0) return this.message;
    const rest = fields.filter((f) => !shown.includes(f));
    if (rest.length === 0) return null;
    return rest.map((f) => (f === "non_field_errors" ? this.field(f) : `${f.replace(/_/g, " ")}: ${this.field(f)}`)).join(" ");
  }

  /** The fields the server complained about. */
  get fields(): string[] {
    if (!this.body) return [];
    return Object.keys(this.body).filter((key) => !["error", "detail", "message", "error_message", "error_code", "code", "id"].includes(key) && this.field(key));
  }
}

/** Any thrown value as an ApiError (network failures and bugs included). */
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(0, null, error instanceof Error ? error.message : String(error));
}

function readCookie(name: string): string | undefined {
  return document.cookie
    .split(";")
    .map((part) => part.trim().split("="))
    .find(([key]) => key === name)?.[1];
}

async function csrfToken(): Promise<string> {
  const existing = readCookie("csrftoken");
  if (existing) return existing;
  const response = await fetch("/auth/get-csrf-token/", { credentials: "same-origin" });
  const body = (await response.json()) as { csrf_token: string };
  return body.csrf_token;
}

function messageOf(status: number, body: Record<string, unknown> | null): string {
  if (status === 429) return "Too many requests from your address. Wait a minute, then try again.";
  if (!body) return `The server answered ${status}.`;
  for (const key of ["error", "detail", "message", "error_message"]) {
    const value = body[key];
    if (typeof value === "string") return value;
  }
  const fields = Object.entries(body)
    .filter(([, v]) => Array.isArray(v) || typeof v === "string")
    .map(([k, v]) => {
      const text = Array.isArray(v) ? v.join(" ") : String(v);
      return k === "non_field_errors" ? text : `${k.replace(/_/g, " ")}: ${text}`;
    });
  return fields.length ? fields.join("; ") : `The server answered ${status}.`;
}

/** An error body as one object: DRF's list serializers answer one object per item. */
function errorObject(parsed: unknown): Record<string, unknown> | null {
  if (Array.isArray(parsed)) {
    const merged: Record<string, unknown> = {};
    for (const item of parsed) if (item && typeof item === "object") Object.assign(merged, item);
    return merged;
  }
  return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : null;
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && method !== "HEAD") headers["X-CSRFToken"] = await csrfToken();
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, null, "The server cannot be reached. Check your connection and try again.");
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    const errorBody = errorObject(parsed);
    throw new ApiError(response.status, errorBody, messageOf(response.status, errorBody));
  }
  return parsed as T;
}

export const api = {
  get: <T>(path: string) => request<T>("GET", path),
  post: <T>(path: string, body: unknown = {}) => request<T>("POST", path, body),
  patch: <T>(path: string, body: unknown) => request<T>("PATCH", path, body),
  delete: (path: string) => request<void>("DELETE", path),
};
