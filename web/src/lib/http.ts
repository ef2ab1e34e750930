// The one way the UI talks to the server: JSON in and out, the session cookie sent by the
// browser, and the CSRF token (from the `csrftoken` cookie) on every unsafe request.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown> | null,
    message: string,
    /** Seconds to wait before trying again (a 429's `Retry-After`). */
    readonly retryAfter?: number,
  ) {
    super(message);
  }

  /** The name of Plane's authentication error (`PASSWORD_TOO_WEAK`): the `error_message` of
   * `{"error_code": 5021, "error_message": "PASSWORD_TOO_WEAK"}`. */
  get code(): string | undefined {
    const name = this.body?.["error_message"];
    return typeof this.body?.["error_code"] === "number" && typeof name === "string" ? name : undefined;
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

/** "in 40 seconds", "in 15 minutes". */
function waitFor(seconds: number): string {
  if (seconds < 90) return `in ${seconds} second${seconds === 1 ? "" : "s"}`;
  return `in ${Math.ceil(seconds / 60)} minutes`;
}

function messageOf(status: number, body: Record<string, unknown> | null, retryAfter?: number): string {
  // Every limit (attempts per address, failed sign-ins of an account, requests per token)
  // answers Plane's one body, {"error_code": 5900, "error_message": "RATE_LIMIT_EXCEEDED"}.
  if (status === 429) return `Too many attempts. Try again ${retryAfter ? waitFor(retryAfter) : "in a few minutes"}.`;
  if (!body) return `The server answered ${status}.`;
  // Plane's authentication errors carry a sentence in `error`; the name in `error_message` is
  // for code, shown only when there is nothing else.
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
    const retryAfter = Number(response.headers.get("Retry-After")) || undefined;
    throw new ApiError(response.status, errorBody, messageOf(response.status, errorBody, retryAfter), retryAfter);
  }
  return parsed as T;
}

export const api = {
  get: <T>(path: string) => request<T>("GET", path),
  post: <T>(path: string, body: unknown = {}) => request<T>("POST", path, body),
  patch: <T>(path: string, body: unknown) => request<T>("PATCH", path, body),
  delete: (path: string) => request<void>("DELETE", path),
};
