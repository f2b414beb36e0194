import type { z } from 'zod';

/**
 * The integration form as data, browser-safe. Each type describes its fields in `<type>/form.ts`, how a
 * stored integration fills them, and the section it sends; the dashboard's one form component renders any
 * of them, and one validator checks them before anything is sent. Each field names its setting (`path`),
 * which the conformance test checks against the type's stored spec.
 */

/** The type's field values, by field key (a checkbox is 'true' or ''). */
export type Values = Record<string, string>;

/** Where a field is shown: at the top, in the Authentication group, or under Advanced. */
export type FieldGroup = 'main' | 'auth' | 'advanced';

interface FieldBase {
  /** The form state key, the input's id and the base of its help and error ids. */
  key: string;
  label: string;
  group: FieldGroup;
  /** The server's `details[].path` for this field (e.g. `github.token`): its errors are shown here. */
  path?: string;
  help?: string;
  /** Shown (and checked, and sent) only when this holds. */
  when?: (v: Values) => boolean;
}

export interface TextFieldSpec extends FieldBase {
  kind: 'text' | 'url' | 'email' | 'number';
  /** Required fields are always checked; optional ones only when filled in. */
  required?: boolean;
  /** The format, checked in the browser (the server checks it again). */
  schema?: z.ZodType;
  check?: (value: string) => string | undefined;
  placeholder?: string;
  min?: number;
  max?: number;
}

/** Write-only: sent once, sealed; on edit an empty field keeps the stored secret, a typed one replaces it. */
export interface SecretFieldSpec extends FieldBase {
  kind: 'secret';
}

/** A segmented choice (the auth mode); each option may bring a paragraph of help. */
export interface ChoiceFieldSpec extends FieldBase {
  kind: 'choice';
  options: Array<{ value: string; label: string; help?: string }>;
}

export interface CheckboxFieldSpec extends FieldBase {
  kind: 'checkbox';
}

export type FieldSpec = TextFieldSpec | SecretFieldSpec | ChoiceFieldSpec | CheckboxFieldSpec;

/** What the section builder sends: a new integration, an edit, or a draft test. */
export type SendMode = 'create' | 'edit' | 'draft';

/**
 * A type's dashboard form as data (`<type>/form.ts`); the dashboard adds the type, section and runtime
 * rule from the type's definition. `V` is the type's section of the API answer (its `view.ts`): the
 * dashboard reads it with `sectionView` and hands it in, undefined when the answer has none that parses.
 */
export interface FormSpec<V = unknown> {
  /** The heading of the add page. */
  addTitle: string;
  /** The add button on the list. */
  addLabel: string;
  fields: FieldSpec[];
  /** A paragraph under Advanced. */
  advancedHelp?: string;
  /** Changing these needs the secret typed again: secrets are sealed for where they are sent. */
  destinations: { keys: string[]; words: string };
  initial: Values;
  fromView(section: V | undefined): Values;
  /** The secret field keys whose secret the stored integration has, for the values as they are now. */
  storedSecrets(section: V | undefined, v: Values): string[];
  /** The settings section sent to the API (secrets left out when empty: the stored ones are kept). */
  sectionBody(v: Values, mode: SendMode): Record<string, unknown>;
  /** One line for the list's Type column. */
  summary(section: V | undefined): string;
}

/** Drops empty optional values: `{ a: '', b: 'x' }` → `{ b: 'x' }`. */
export function filled(o: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) if (v) out[k] = v;
  return out;
}
