import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';

/** Shows an API error as the problem document's title and detail (and each failed field of a 400). */
export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const e =
    error instanceof ApiError
      ? error
      : new ApiError(0, 'Something went wrong', String((error as Error)?.message ?? error));
  return (
    <div class="error" role="alert">
      <strong class="error-title">{e.title}</strong>
      {e.detail ? <p class="error-detail">{e.detail}</p> : null}
      {e.errors.length ? (
        <ul>
          {e.errors.map((f) => (
            <li key={f.field}>
              <code>{f.field}</code>: {f.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** Loads `load()` on mount and whenever `deps` change; `reload()` re-runs it; `pollMs` re-runs it periodically. */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: unknown[],
  pollMs?: number,
): { data: T | undefined; error: unknown; loading: boolean; reload: () => void } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const seq = useRef(0);
  const run = useCallback(() => {
    const mine = ++seq.current;
    setLoading(true);
    load().then(
      (d) => {
        if (mine !== seq.current) return;
        setData(d);
        setError(null);
        setLoading(false);
      },
      (e) => {
        if (mine !== seq.current) return;
        setError(e);
        setLoading(false);
      },
    );
  }, deps);
  useEffect(() => {
    run();
    if (!pollMs) return;
    const t = setInterval(run, pollMs);
    return () => clearInterval(t);
  }, [run, pollMs]);
  return { data, error, loading, reload: run };
}

/** A progress bar with its accessible value: `value` of `max`, and a visible label. */
export function Progress({
  value,
  errors = 0,
  max,
  label,
}: {
  value: number;
  errors?: number;
  max: number;
  label: string;
}) {
  const pct = max ? Math.min(100, (value / max) * 100) : 0;
  const errPct = max ? Math.min(100 - pct, (errors / max) * 100) : 0;
  return (
    <div
      class="progress"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={max}
      aria-valuenow={value + errors}
      aria-valuetext={`${value + errors} of ${max}`}
    >
      <span class="progress-done" style={{ width: `${pct}%` }} />
      <span class="progress-errors" style={{ width: `${errPct}%` }} />
    </div>
  );
}

/** A confirmation dialog (native `<dialog>`: focus trapped, Escape cancels). */
export function Confirm({
  open,
  message,
  confirmLabel,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  message: ComponentChildren;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} onCancel={onCancel} aria-labelledby="confirm-msg">
      <p id="confirm-msg">{message}</p>
      <div class="row">
        <button type="button" class="danger" onClick={onConfirm}>
          {confirmLabel}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}

/** `["a","b"]` ⇄ `"a, b"` for list fields edited as text. */
export const listText = (v: unknown): string => (Array.isArray(v) ? v.join(', ') : '');
export const textList = (s: string): string[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** The last path segment of a URI (role URIs render as names). */
export const lastSegment = (u: string): string => decodeURIComponent(u.split('/').pop() ?? u);
