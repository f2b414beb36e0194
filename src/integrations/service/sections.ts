import type { z } from 'zod';
import { InputError } from '../../domain/errors.js';
import { zodDetails } from '../../domain/parse.js';
import type { Redactor } from '../../logging/redactor.js';
import type { SectionsInput } from '../input.js';
import { handlerFor, INTEGRATION_TYPES, type AnyIntegrationTypeHandler } from '../types/index.js';
import { secretFieldNames } from '../types/definitions.js';

/** Field names that hold a secret in any type's input: the sealed fields of every type definition. */
const SECRET_KEYS = new Set(secretFieldNames());

/**
 * The caller's settings for the handler's section, validated by the handler. Another type's section is
 * refused: the type of an integration is fixed, and silently ignoring settings would be worse.
 */
export function sectionInput<T>(
  h: AnyIntegrationTypeHandler,
  schema: z.ZodType<T>,
  input: SectionsInput,
  required: true,
): T;
export function sectionInput<T>(
  h: AnyIntegrationTypeHandler,
  schema: z.ZodType<T>,
  input: SectionsInput,
  required: boolean,
): T | undefined;
export function sectionInput<T>(
  h: AnyIntegrationTypeHandler,
  schema: z.ZodType<T>,
  input: SectionsInput,
  required: boolean,
): T | undefined {
  for (const t of INTEGRATION_TYPES) {
    const other = handlerFor(t).section;
    if (other !== h.section && sectionValue(input, other) !== undefined) {
      const message = `"${other}" settings do not apply to a ${h.type} integration (use "${h.section}")`;
      throw new InputError(`Invalid input: ${other}: ${message}`, { details: [{ path: other, message }] });
    }
  }
  const value = sectionValue(input, h.section);
  if (value === undefined) {
    if (!required) return undefined;
    const message = `the ${h.type} settings are required`;
    throw new InputError(`Invalid input: ${h.section}: ${message}`, {
      details: [{ path: h.section, message }],
    });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw sectionError(parsed.error, h.section);
  return parsed.data;
}

export function sectionValue(input: SectionsInput, section: string): unknown {
  return (input as Record<string, unknown>)[section];
}

/** A zod error of one section, its paths prefixed with the section key. */
export function sectionError(error: z.ZodError, section: string, why?: string): InputError {
  const details = zodDetails(error).map((d) => ({
    ...d,
    path: d.path === '(root)' ? section : `${section}.${d.path}`,
  }));
  const summary = details.map((d) => `${d.path}: ${d.message}`).join('; ');
  return new InputError(`Invalid input${why ? ` ${why}` : ''}: ${summary}`, { details });
}

export function registerSecrets(redactor: Redactor, h: AnyIntegrationTypeHandler, settings: unknown): void {
  for (const secret of h.secretsOf(settings)) redactor.register(secret);
}

/**
 * Secret-looking strings of a raw body, registered before validation so that a validation error quoting
 * a value cannot leak one. Validation then registers exactly the handler's secret fields.
 */
export function registerRawSecrets(redactor: Redactor, raw: unknown): void {
  const walk = (v: unknown, key: string, depth: number): void => {
    if (depth > 6) return;
    if (typeof v === 'string' && SECRET_KEYS.has(key)) redactor.register(v);
    else if (v && typeof v === 'object' && !Array.isArray(v))
      for (const [k, x] of Object.entries(v)) walk(x, k, depth + 1);
  };
  walk(raw, '', 0);
}
