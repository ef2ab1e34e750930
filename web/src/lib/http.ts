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

  /** Messages for one field of a validation error (`{"field": ["message"]}`). */
  field(name: string): string | undefined {
    const value = this.body?.[name];
    return Array.isArray(value) ? value.join(" ") : undefined;
  }
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
  if (!body) return `The server answered ${status}.`;
  for (const key of ["error", "detail", "message", "error_message"]) {
    const value = body[key];
    if (typeof value === "string") return value;
  }
  const fields = Object.entries(body)
    .filter(([, v]) => Array.isArray(v))
    .map(([k, v]) => `${k}: ${(v as string[]).join(" ")}`);
  return fields.length ? fields.join("; ") : `The server answered ${status}.`;
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
    const errorBody = parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : null;
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
