import type { z } from 'zod';
import { InputError, type ErrorDetail } from './errors.js';

/** Dot path of a zod issue (`ecr.auth.roleArn`, `sharing.runtimes.0`); the root is `(root)`. */
export function issuePath(path: ReadonlyArray<PropertyKey>): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

export function zodDetails(error: z.ZodError): ErrorDetail[] {
  return error.issues.map((i) => ({ path: issuePath(i.path), message: i.message }));
}

/**
 * Validates input at a boundary (API body, CLI flags) and turns every problem into one InputError that
 * lists each field with its dot path, so the user can fix them all at once.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what = 'input'): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const details = zodDetails(r.error);
  const summary = details.map((d) => `${d.path}: ${d.message}`).join('; ');
  throw new InputError(`Invalid ${what}: ${summary}`, { details });
}
