import type * as z from 'zod';
import { SealedValue } from '../../contract/sealed-value.js';
import type { FormSpec } from './form-model.js';

/**
 * What one integration type is, as data every layer can read: its stored spec (secret fields marked by
 * their `SealedValue` schema, once), where it sends credentials, which runtimes can use it, and the words
 * for docs. Browser-safe (zod, domain and contract only): the config repository, the dashboard and the docs
 * derive from these definitions; the server's behaviour (merge, seal, test) is the type's `handler.ts`.
 */

/** What a runtime rule needs to know about a runtime; the API's runtime view has the same fields. */
export interface RuntimeFacts {
  name: string;
  type: 'hybrid' | 'hosted';
  version: string;
}

/** A setting that is a URL credentials are sent to, with the rule it must pass (domain/endpoints.ts). */
export interface EndpointField {
  /** Dot path within the section, e.g. `endpoints.api`. */
  path: string;
  /** Must be an AWS endpoint of the partition (when the policy asks for it). */
  aws?: boolean;
}

/** A format the server checks with a domain parser: `issue-key-matcher` is domain/issue-keys.ts. */
export type SettingFormat = 'issue-key-matcher';

/** One option of `integration add <command>` (and of `integration edit`), as commander takes it. */
export interface FlagSpec {
  /** `--region <region>`, `--token-stdin`: a flag ending in `-stdin` reads a secret from standard input. */
  flag: string;
  description: string;
  /** The words on `integration edit`, when they differ (what "" or leaving it out means there). */
  editDescription?: string;
  /** The setting it fills, by dot path within the section (`auth.secretAccessKey`). */
  setting: string;
  /** Only on edit (`--no-fail-on-not-found`). */
  editOnly?: boolean;
  /** A `-stdin` flag's fallback on add: the environment variable the secret may come from instead. */
  env?: string;
  /** On edit, `""` clears the setting (sent as null); the edit description says so. */
  emptyClears?: boolean;
  /** A setting that must come with this one, on edit too (a new access key ID comes with its secret). */
  comesWith?: string;
}

/** The CLI of a type: `imagetrail integration add <command> NAME [flags]`. */
export interface CliSpec {
  command: string;
  description: string;
  flags: FlagSpec[];
}

export interface IntegrationTypeDefinition<
  T extends string = string,
  S extends string = string,
  Spec extends z.ZodType = z.ZodType,
  View extends z.ZodType = z.ZodType,
> {
  /** `registry.ecr`: the `spec.type` of stored resources and the API's `type`. */
  readonly type: T;
  /** The key of the settings section in the spec and the API: `ecr`. */
  readonly section: S;
  /** "Amazon ECR": headings, lists and docs. */
  readonly title: string;
  /** One sentence for the docs table: what the type is for. */
  readonly summary: string;
  /** The stored section (`spec.ecr`); a field whose schema is `SealedValue` is a secret. */
  readonly spec: Spec;
  /**
   * What the API shows of the section (`<type>/view.ts`), each secret as `SecretSet`. The contract passes
   * sections through; clients read one with `sectionView`, and the handler's `view` is typed by it.
   */
  readonly view: View;
  /** The settings credentials are sent to; each must pass the endpoint policy. */
  readonly endpoints: readonly EndpointField[];
  /**
   * Settings whose format a server-side parser checks in stored files (config-repo): by dot path. Named
   * rather than imported, so the parsers (RE2) stay out of the dashboard.
   */
  readonly formats?: Readonly<Record<string, SettingFormat>>;
  /** The setting that names how it authenticates (`auth.mode`), or a fixed word when there is one way. */
  readonly mode: { path: string } | { fixed: string };
  /** Why a runtime cannot use settings of this auth mode, or undefined. Shared by the server and dashboard. */
  runtimeRule(mode: string, runtime: RuntimeFacts): string | undefined;
  /** The runtime rules in words, for the docs table ("every runtime" when there are none). */
  readonly availabilityText: string;
  /** The CLI's options, as data (`<type>/flags.ts`). */
  readonly cli: CliSpec;
  /** The dashboard's form, as data (`<type>/form.ts`), filled from the section's view. */
  readonly form: FormSpec<z.output<View>>;
}

export type AnyIntegrationTypeDefinition = IntegrationTypeDefinition<string, string, z.ZodType, z.ZodType>;

/** Keeps the literal types of `type` and `section`, so the Integration kind can be derived with them. */
export function defineIntegrationType<
  const T extends string,
  const S extends string,
  Spec extends z.ZodType,
  View extends z.ZodType,
>(d: IntegrationTypeDefinition<T, S, Spec, View>): IntegrationTypeDefinition<T, S, Spec, View> {
  return d;
}

/**
 * A type's section of an API answer (`view.ecr`), checked with its definition's view schema: undefined
 * when the answer has none or it does not parse (another type, a server whose view differs). The one way
 * clients read a section, since the shared `IntegrationView` passes sections through unchecked.
 */
export function sectionView<V extends z.ZodType>(
  d: { readonly section: string; readonly view: V },
  view: object,
): z.output<V> | undefined {
  const section = (view as Record<string, unknown>)[d.section];
  if (section === undefined) return undefined;
  const parsed = d.view.safeParse(section);
  return parsed.success ? parsed.data : undefined;
}

// ---- reading a spec schema ---------------------------------------------------------------------------

interface ZodDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  options?: z.ZodType[];
  in?: z.ZodType;
}
const defOf = (s: z.ZodType): ZodDef => (s as unknown as { _zod: { def: ZodDef } })._zod.def;

/**
 * Every setting of a section schema by dot path, and whether it is a secret (`SealedValue` in a spec,
 * `SecretSet` in a view). The alternatives of a union (ECR's auth modes) merge: `auth.roleArn` and
 * `auth.secretAccessKey` are both settings of `auth`.
 */
export function settingsOf(
  schema: z.ZodType,
  secret: z.ZodType = SealedValue,
): Map<string, { secret: boolean }> {
  const out = new Map<string, { secret: boolean }>();
  const walk = (s: z.ZodType, path: string): void => {
    if (s === secret) {
      out.set(path, { secret: true });
      return;
    }
    const d = defOf(s);
    if (d.innerType) return walk(d.innerType, path);
    if (d.type === 'pipe' && d.in) return walk(d.in, path);
    if (d.type === 'union') return d.options?.forEach((o) => walk(o, path));
    if (d.type === 'object' && d.shape) {
      for (const [k, v] of Object.entries(d.shape)) walk(v, path ? `${path}.${k}` : k);
      return;
    }
    if (path && !out.has(path)) out.set(path, { secret: false });
  };
  walk(schema, '');
  return out;
}

/** The dot paths of a type's secret fields: `['auth.secretAccessKey']`. */
export function secretPaths(d: AnyIntegrationTypeDefinition): string[] {
  return [...settingsOf(d.spec)].filter(([, f]) => f.secret).map(([p]) => p);
}

/** The value at a dot path of settings, or undefined. */
export function valueAt(settings: unknown, path: string): unknown {
  let v: unknown = settings;
  for (const k of path.split('.')) {
    if (!v || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** The one word for how settings (stored, sent or typed in a form) authenticate. */
export function modeOf(d: AnyIntegrationTypeDefinition, settings: unknown): string {
  if ('fixed' in d.mode) return d.mode.fixed;
  const v = valueAt(settings, d.mode.path);
  return typeof v === 'string' ? v : '';
}
