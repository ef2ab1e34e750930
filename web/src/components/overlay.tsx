// Dialogs and confirmations: Escape and the backdrop close them, focus stays inside while open
// and returns where it was.
import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { Alert, Button, Field } from "./ui";
import { CloseIcon } from "./icons";

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

type ModalProps = {
  title: string;
  description?: ReactNode;
  onClose: () => void;
  children: ReactNode;
  width?: number;
  testId?: string;
};

export function Modal({ title, description, onClose, children, width = 520, testId }: ModalProps) {
  const titleId = useId();
  const ref = useRef<HTMLDivElement>(null);
  const close = useRef(onClose);
  close.current = onClose;

  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    const dialog = ref.current;
    const first = dialog?.querySelector<HTMLElement>("[autofocus], input, select, textarea") ?? dialog?.querySelector<HTMLElement>(FOCUSABLE);
    first?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") {
        event.stopPropagation();
        close.current();
      }
      if (event.key !== "Tab" || !dialog) return;
      const items = Array.from(dialog.querySelectorAll<HTMLElement>(FOCUSABLE));
      const [head, tail] = [items[0], items[items.length - 1]];
      if (!head || !tail) return;
      if (event.shiftKey && document.activeElement === head) {
        event.preventDefault();
        tail.focus();
      } else if (!event.shiftKey && document.activeElement === tail) {
        event.preventDefault();
        head.focus();
      }
    };
    document.addEventListener("keydown", onKey);
    document.body.classList.add("modal-open");
    return () => {
      document.removeEventListener("keydown", onKey);
      document.body.classList.remove("modal-open");
      before?.focus?.();
    };
  }, []);

  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="modal" role="dialog" aria-modal="true" aria-labelledby={titleId} ref={ref} style={{ maxWidth: width }} data-testid={testId}>
        <div className="modal-head">
          <div>
            <h2 id={titleId}>{title}</h2>
            {description && <p className="muted modal-description">{description}</p>}
          </div>
          <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
            <CloseIcon />
          </button>
        </div>
        {children}
      </div>
    </div>
  );
}

type ConfirmProps = {
  title: string;
  body: ReactNode;
  confirmLabel: string;
  /** When set, the button stays disabled until this text is typed. */
  typeToConfirm?: string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
  error?: string | null;
};

/** A destructive action's last question. */
export function ConfirmDialog({ title, body, confirmLabel, typeToConfirm, onConfirm, onClose, error }: ConfirmProps) {
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  const ready = !typeToConfirm || typed.trim() === typeToConfirm;
  return (
    <Modal title={title} onClose={onClose} width={460} testId="confirm-dialog">
      <form
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          if (!ready) return;
          setBusy(true);
          void onConfirm().finally(() => setBusy(false));
        }}
      >
        <div className="confirm-body">{body}</div>
        {error && <Alert tone="error">{error}</Alert>}
        {typeToConfirm && (
          <Field
            label={`Type “${typeToConfirm}” to confirm`}
            id="confirm-typed"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            autoComplete="off"
            spellCheck={false}
          />
        )}
        <div className="modal-actions">
          <Button type="button" variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" variant="danger-solid" busy={busy} disabled={!ready}>
            {confirmLabel}
          </Button>
        </div>
      </form>
    </Modal>
  );
}

/** A small menu opened by a button; closes on outside click and Escape. */
type DropdownProps = {
  trigger: (props: { open: boolean; toggle: () => void }) => ReactNode;
  children: (close: () => void) => ReactNode;
  align?: "left" | "right";
  testId?: string;
  /** Close when anything inside is clicked (menus); off for pickers with inputs. */
  closeOnClick?: boolean;
  className?: string;
};

export function Dropdown({ trigger, children, align = "left", testId, closeOnClick = true, className = "menu" }: DropdownProps) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const onClick = (event: MouseEvent) => {
      if (ref.current && !ref.current.contains(event.target as Node)) setOpen(false);
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") setOpen(false);
    };
    document.addEventListener("mousedown", onClick);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("mousedown", onClick);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);
  return (
    <div className="dropdown" ref={ref} data-testid={testId}>
      {trigger({ open, toggle: () => setOpen(!open) })}
      {open && (
        <div className={`${className} dropdown-menu dropdown-${align}`} role={closeOnClick ? "menu" : "dialog"} onClick={closeOnClick ? () => setOpen(false) : undefined}>
          {children(() => setOpen(false))}
        </div>
      )}
    </div>
  );
}
