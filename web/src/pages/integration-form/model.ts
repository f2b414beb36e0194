import type { z } from 'zod';
import { ResourceName } from '../../../../src/contract/integrations.js';
import type {
  FieldGroup,
  FieldSpec,
  FormSpec,
  Values,
} from '../../../../src/integrations/types/form-model.js';
import type {
  IntegrationSection,
  IntegrationTypeName,
} from '../../../../src/integrations/types/definitions.js';
import type { IntegrationView, RuntimeView } from '../../api/schemas.js';

/**
 * The integration form as data. Each type (ECR, GitHub, Jira) describes its fields, how a stored
 * integration fills them, and the section it sends; one form component renders any of them, and one
 * validator checks them before anything is sent.
 */

export type {
  CheckboxFieldSpec,
  ChoiceFieldSpec,
  FieldGroup,
  FieldSpec,
  SecretFieldSpec,
  TextFieldSpec,
  Values,
} from '../../../../src/integrations/types/form-model.js';

/**
 * A type's form with what its definition adds: the type, its section and its runtime rule. It reads an
 * answer's section with the definition's view schema (`sectionView`) before the type's form sees it.
 */
export interface TypeForm extends Omit<FormSpec, 'fromView' | 'storedSecrets' | 'summary'> {
  type: IntegrationTypeName;
  section: IntegrationSection;
  /** "Amazon ECR": in headings and the list (the definition's title). */
  title: string;
  /** Why a runtime cannot use this integration (the definition's rule for the chosen mode), or undefined. */
  runtimeRule(v: Values, rt: RuntimeView): string | undefined;
  fromView(view: IntegrationView): Values;
  /** The secret field keys whose secret the stored integration has, for the values as they are now. */
  storedSecrets(view: IntegrationView, v: Values): string[];
  /** One line for the list's Type column. */
  summary(view: IntegrationView): string;
}

export interface FormState {
  name: string;
  description: string;
  shareAll: boolean;
  runtimes: string[];
  skipTest: boolean;
  testRuntime: string;
  values: Values;
}

export type Errors = Record<string, string>;

export function emptyState(form: TypeForm): FormState {
  return {
    name: '',
    description: '',
    shareAll: true,
    runtimes: [],
    skipTest: false,
    testRuntime: '',
    values: { ...form.initial },
  };
}

export function stateFromView(form: TypeForm, view: IntegrationView): FormState {
  return {
    ...emptyState(form),
    name: view.name,
    description: view.description ?? '',
    shareAll: 'allRuntimes' in view.sharing,
    runtimes: 'runtimes' in view.sharing ? view.sharing.runtimes : [],
    values: { ...form.initial, ...form.fromView(view) },
  };
}

export function visibleFields(form: TypeForm, v: Values): FieldSpec[] {
  return form.fields.filter((f) => !f.when || f.when(v));
}

/**
 * The secrets an empty field keeps: those the stored integration has, unless a destination changed
 * (the server refuses to send a secret somewhere it was not sealed for).
 */
export function keptSecrets(
  form: TypeForm,
  view: IntegrationView | undefined,
  v: Values,
): ReadonlySet<string> {
  if (!view) return new Set();
  const stored = form.fromView(view);
  const moved = form.destinations.keys.some((k) => (v[k] ?? '') !== (stored[k] ?? ''));
  return new Set(moved ? [] : form.storedSecrets(view, v));
}

/** Field keys in the order they are shown: the first one with an error takes focus. */
export function fieldOrder(form: TypeForm, v: Values): string[] {
  const keys = (g: FieldGroup) =>
    visibleFields(form, v)
      .filter((f) => f.group === g && f.kind !== 'choice')
      .map((f) => f.key);
  return [
    'name',
    'description',
    ...keys('main'),
    ...keys('auth'),
    'runtimes',
    ...keys('advanced'),
    'testRuntime',
  ];
}

/** Server `details[].path` → the form field that shows it. */
export function fieldOfPath(form: TypeForm, path: string): string | undefined {
  if (path === 'name' || path === 'description') return path;
  if (path === 'testRuntime' || path === 'runtime') return 'testRuntime';
  if (path === 'sharing' || path.startsWith('sharing.')) return 'runtimes';
  return form.fields.find((f) => f.path === path)?.key;
}

function firstIssue(schema: z.ZodType, value: string): string | undefined {
  const r = schema.safeParse(value);
  return r.success ? undefined : r.error.issues[0]?.message;
}

function fieldError(f: FieldSpec, value: string, kept: ReadonlySet<string>): string | undefined {
  if (f.kind === 'secret') {
    return value === '' && !kept.has(f.key) ? `the ${f.label.toLowerCase()} is required` : undefined;
  }
  if (f.kind !== 'text' && f.kind !== 'url' && f.kind !== 'email' && f.kind !== 'number') return undefined;
  if (value === '' && !f.required) return undefined;
  if (f.schema) {
    const issue = firstIssue(f.schema, value);
    if (issue) return issue;
  } else if (value === '') return 'required';
  return f.check?.(value);
}

export interface ValidationContext {
  editing: boolean;
  kept: ReadonlySet<string>;
  runtimes: RuntimeView[];
}

/** The spec's rules and each field's format, checked before anything is sent. */
export function validate(form: TypeForm, s: FormState, ctx: ValidationContext): Errors {
  const e: Errors = {};
  const add = (k: string, m: string | undefined) => {
    if (m) e[k] = m;
  };
  if (!ctx.editing) add('name', firstIssue(ResourceName, s.name));
  if (s.description.length > 500) add('description', 'must be at most 500 characters');
  for (const f of visibleFields(form, s.values)) add(f.key, fieldError(f, s.values[f.key] ?? '', ctx.kept));
  if (!s.shareAll) {
    if (s.runtimes.length === 0) add('runtimes', 'select at least one runtime, or share with all runtimes');
    const problems = s.runtimes
      .map((n) => ctx.runtimes.find((r) => r.name === n))
      .map((rt) => (rt ? form.runtimeRule?.(s.values, rt) : undefined))
      .filter((m): m is string => m !== undefined);
    if (problems.length) add('runtimes', problems.join(' '));
  }
  return e;
}

/** The sharing part of a request. */
export function sharingBody(s: FormState) {
  return s.shareAll ? { allRuntimes: true as const } : { runtimes: s.runtimes };
}
