import type { z } from 'zod';
import { describeIssues, issuePath } from './issue-path.js';
import { InputError, type ErrorDetail } from './errors.js';

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
  throw new InputError(`Invalid ${what}: ${describeIssues(r.error.issues)}`, { details });
}
