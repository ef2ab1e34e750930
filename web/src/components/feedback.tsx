// Loading, empty and error states, and short-lived notices (toasts).
import { createContext, useCallback, useContext, useState, type ReactNode } from "react";
import type { ApiError } from "../lib/http";
import { Alert } from "./ui";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      <span className="muted">{label}</span>
    </div>
  );
}

export function EmptyState({ icon, title, children, action, testId }: { icon?: ReactNode; title: string; children?: ReactNode; action?: ReactNode; testId?: string }) {
  return (
    <div className="empty-state" data-testid={testId}>
      {icon && <div className="empty-icon">{icon}</div>}
      <h3>{title}</h3>
      {children && <p className="muted">{children}</p>}
      {action && <div className="empty-action">{action}</div>}
    </div>
  );
}

/** A friendly message for a failed load: no permission, gone, or unreachable. */
export function ErrorState({ error, what = "this page" }: { error: ApiError; what?: string }) {
  let title = "Something went wrong";
  let text = error.message;
  if (error.status === 403) {
    title = "You don't have access";
    text = `You do not have permission to see ${what}. Ask a workspace admin if you think you should.`;
  } else if (error.status === 404) {
    title = "Not found";
    text = `There is no ${what === "this page" ? "such page" : what} here, or it was deleted.`;
  } else if (error.status === 0) {
    title = "The server cannot be reached";
    text = "Check your connection and try again.";
  }
  return (
    <div className="empty-state error-state" data-testid="error-state">
      <h3>{title}</h3>
      <p className="muted">{text}</p>
    </div>
  );
}

export function InlineError({ error }: { error: ApiError | string | null | undefined }) {
  if (!error) return null;
  return <Alert tone="error">{typeof error === "string" ? error : error.message}</Alert>;
}

type Toast = { id: number; tone: "success" | "error"; text: string };
type ToastApi = { success: (text: string) => void; error: (text: string) => void };

const ToastContext = createContext<ToastApi>({ success: () => {}, error: () => {} });

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const push = useCallback((tone: Toast["tone"], text: string) => {
    const id = Date.now() + Math.random();
    setToasts((list) => [...list.slice(-3), { id, tone, text }]);
    window.setTimeout(() => setToasts((list) => list.filter((t) => t.id !== id)), tone === "error" ? 6000 : 3000);
  }, []);
  const [api] = useState<ToastApi>(() => ({ success: (t) => push("success", t), error: (t) => push("error", t) }));
  return (
    <ToastContext.Provider value={api}>
      {children}
      <div className="toasts" aria-live="polite">
        {toasts.map((toast) => (
          <div key={toast.id} className={`toast toast-${toast.tone}`} role={toast.tone === "error" ? "alert" : "status"} data-testid={`toast-${toast.tone}`}>
            {toast.text}
            <button type="button" className="icon-button" aria-label="Dismiss" onClick={() => setToasts((list) => list.filter((t) => t.id !== toast.id))}>
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToast(): ToastApi {
  return useContext(ToastContext);
}
