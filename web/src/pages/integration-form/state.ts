import { useState } from 'react';
import type { ApiError } from '../../api/client.js';
import type { IntegrationView, RuntimeView } from '../../api/schemas.js';
import {
  emptyState,
  fieldOfPath,
  fieldOrder,
  keptSecrets,
  stateFromView,
  validate,
  type Errors,
  type FormState,
  type TypeForm,
} from './model.js';

type Common = Exclude<keyof FormState, 'values'>;

/**
 * The form's values and errors. A field with an error is checked again as it changes, so the message
 * goes away when it is right; a failed check focuses the first field in error.
 */
export function useFormState(form: TypeForm, runtimes: RuntimeView[], view: IntegrationView | undefined) {
  const editing = view !== undefined;
  const [s, setS] = useState<FormState>(() => (view ? stateFromView(form, view) : emptyState(form)));
  const [errors, setErrors] = useState<Errors>({});
  const [savedView, setSavedView] = useState<IntegrationView | undefined>(view);

  const ctxFor = (next: FormState) => ({
    editing,
    kept: keptSecrets(form, savedView, next.values),
    runtimes,
  });

  const recheck = (key: string, next: FormState) => {
    if (!(key in errors)) return;
    const fresh = validate(form, next, ctxFor(next));
    setErrors((prev) => {
      const out: Errors = { ...prev };
      if (fresh[key]) out[key] = fresh[key];
      else delete out[key];
      return out;
    });
  };

  const set = <K extends Common>(k: K, v: FormState[K]) => {
    const next = { ...s, [k]: v };
    setS(next);
    recheck(k, next);
  };

  const setValue = (k: string, v: string) => {
    const next = { ...s, values: { ...s.values, [k]: v } };
    setS(next);
    recheck(k, next);
  };

  function check(): boolean {
    const e = validate(form, s, ctxFor(s));
    setErrors(e);
    const first = fieldOrder(form, s.values).find((k) => e[k]);
    if (!first) return true;
    document.getElementById(first === 'runtimes' ? 'share-selected' : first)?.focus();
    return false;
  }

  /** Field errors go next to their fields; the run panel's error box lists them all. */
  function applyServerError(err: ApiError) {
    const fieldErrors: Errors = {};
    for (const d of err.details) {
      const k = fieldOfPath(form, d.path ?? '');
      if (k) fieldErrors[k] = fieldErrors[k] ? `${fieldErrors[k]} ${d.message}` : d.message;
    }
    if (Object.keys(fieldErrors).length) setErrors(fieldErrors);
  }

  /** After a commit: the stored view is the new one, and typed secrets are cleared (they are stored). */
  function committed(saved: IntegrationView) {
    setSavedView(saved);
    const cleared = Object.fromEntries(
      form.fields.filter((f) => f.kind === 'secret').map((f) => [f.key, '']),
    );
    setS((prev) => ({ ...prev, values: { ...prev.values, ...cleared } }));
  }

  const kept = keptSecrets(form, savedView, s.values);
  return { s, set, setValue, errors, check, applyServerError, committed, savedView, kept, editing };
}
