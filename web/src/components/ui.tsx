import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { ApiError } from '../api/client.js';

/** Shared building blocks: error and status boxes, labelled fields, scrollable tables, data loading. */

export function describeError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError('server', err instanceof Error ? err.message : String(err), undefined);
}

const TITLES: Record<ApiError['kind'], string> = {
  unreachable: 'Server unreachable',
  unauthorized: 'Token refused (401)',
  forbidden: 'Not allowed (403)',
  'not-found': 'Not found',
  input: 'Please check the input',
  conflict: 'Conflict',
  server: 'Server error',
  'invalid-response': 'Unexpected answer',
  timeout: 'Timed out',
};

/** An error with its hints; `role="alert"` so screen readers announce it when it appears. */
export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  const e = describeError(error);
  return (
    <div className="box box-error" role="alert">
      <p className="box-title">{title ?? TITLES[e.kind]}</p>
      <p>{e.message}</p>
      {e.hints.length > 0 && (
        <ul className="hints">
          {e.hints.map((h) => (
            <li key={h}>{h}</li>
          ))}
        </ul>
      )}
      {e.details.length > 0 && (
        <ul className="details">
          {e.details.map((d) => (
            <li key={`${d.path}:${d.message}`}>
              <code>{d.path}</code>: {d.message}
            </li>
          ))}
        </ul>
      )}
      {e.payload?.id && <p className="muted small">Error id: {e.payload.id}</p>}
    </div>
  );
}

/** A failed load with its error and a Retry button: what every list page shows when its request fails. */
export function ErrorWithRetry({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  return (
    <>
      <ErrorBox error={error} />
      <button type="button" onClick={onRetry}>
        Retry
      </button>
    </>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

/** A wide table scrolls inside its own box, never the page; the box is focusable to scroll by keyboard. */
export function TableWrap({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-wrap" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

export interface FieldProps {
  id: string;
  label: string;
  error?: string | undefined;
  help?: ReactNode;
  children: (aria: { id: string; 'aria-invalid': boolean; 'aria-describedby'?: string }) => ReactNode;
}

/** A label, the control, help and the field's error, tied together with aria-describedby. */
export function Field({ id, label, error, help, children }: FieldProps) {
  const describedBy = [help ? `${id}-help` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({
        id,
        'aria-invalid': Boolean(error),
        ...(describedBy ? { 'aria-describedby': describedBy } : {}),
      })}
      {help && (
        <p className="help" id={`${id}-help`}>
          {help}
        </p>
      )}
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

export type Loadable<T> =
  { state: 'loading' } | { state: 'error'; error: ApiError } | { state: 'ok'; data: T };

/** Loads data on mount and when `deps` change; a stale answer never overwrites a newer one. */
export function useLoad<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: unknown[],
): [Loadable<T>, () => void] {
  const [value, setValue] = useState<Loadable<T>>({ state: 'loading' });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    const controller = new AbortController();
    setValue({ state: 'loading' });
    loadRef.current(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setValue({ state: 'ok', data });
      },
      (err: unknown) => {
        if (!controller.signal.aborted) setValue({ state: 'error', error: describeError(err) });
      },
    );
    return () => controller.abort();
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return [value, reload];
}

/** The page's h1 takes focus after navigation, so keyboard and screen-reader users start at the top. */
export function PageTitle({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus({ preventScroll: true });
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1} className="page-title">
      {children}
    </h1>
  );
}
