import type * as z from 'zod';
import { SealedValue } from '../../contract/sealed-value.js';
import { InputError } from '../../domain/errors.js';
import type { AnyIntegrationTypeDefinition, FlagSpec } from '../../integrations/types/definition.js';

// A type's request section from its flags, for every type alike: each flag names its setting by dot path
// (`<type>/flags.ts`), the stored spec says which settings are required, numbers or secrets, and which
// alternatives (ECR's auth modes, Jira's auth kinds) a given setting belongs to. Secrets come from standard
// input or, where the flag names one, an environment variable: never from argv.

/** One setting of a section schema, as the CLI needs to know it. */
interface Leaf {
  secret: boolean;
  optional: boolean;
  number: boolean;
  /** Set when the setting belongs to one alternative of a discriminated union. */
  variant?: { union: string; value: string };
}

/** A discriminated union of the spec (`auth`, told apart by `mode`). */
interface Union {
  path: string;
  discriminator: string;
  optional: boolean;
  values: string[];
}

interface Shape {
  leaves: Map<string, Leaf>;
  unions: Union[];
}

interface ZodDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  options?: z.ZodType[];
  in?: z.ZodType;
  discriminator?: string;
  values?: unknown[];
}
const defOf = (s: z.ZodType): ZodDef => (s as unknown as { _zod: { def: ZodDef } })._zod.def;

/** The settings and alternatives of a section schema, by dot path. */
export function shapeOf(schema: z.ZodType): Shape {
  const leaves = new Map<string, Leaf>();
  const unions: Union[] = [];
  const walk = (s: z.ZodType, path: string, optional: boolean, variant?: Leaf['variant']): void => {
    const d = defOf(s);
    if (s === SealedValue || (d.type !== 'object' && d.type !== 'union' && !d.innerType && !d.in)) {
      const number = d.type === 'number';
      leaves.set(path, { secret: s === SealedValue, optional, number, ...(variant ? { variant } : {}) });
      return;
    }
    if (d.innerType) return walk(d.innerType, path, optional || d.type !== 'nullable', variant);
    if (d.type === 'pipe' && d.in) return walk(d.in, path, optional, variant);
    if (d.type === 'union' && d.discriminator) {
      const key = d.discriminator;
      const values = (d.options ?? []).map((o) =>
        String(defOf(defOf(o).shape?.[key] as z.ZodType).values?.[0]),
      );
      unions.push({ path, discriminator: key, optional, values });
      d.options?.forEach((o, i) => walk(o, path, optional, { union: path, value: values[i] ?? '' }));
      return;
    }
    for (const [k, v] of Object.entries(d.shape ?? {})) {
      const p = path ? `${path}.${k}` : k;
      if (variant && p === `${variant.union}.${unionOf(unions, variant.union)?.discriminator}`) continue;
      walk(v, p, optional, variant);
    }
  };
  walk(schema, '', false);
  return { leaves, unions };
}

const unionOf = (unions: Union[], path: string) => unions.find((u) => u.path === path);

/** commander's option key of a flag: `--secret-access-key-stdin` → `secretAccessKeyStdin`. */
export function optionKey(flag: string): string {
  const long = (flag.split(/[ ,]/).find((w) => w.startsWith('--')) ?? flag).replace(/^--(no-)?/, '');
  return long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** `--region <region>` → `--region`. */
const flagName = (f: FlagSpec) => f.flag.split(' ')[0] ?? f.flag;
const isStdin = (f: FlagSpec) => /-stdin$/.test(flagName(f));

/** What reads a secret and the environment; a test passes its own. */
export interface SecretSource {
  env: Readonly<Record<string, string | undefined>>;
  /** The secret piped in for `flag`, trimmed; `label` names it in a terminal prompt. */
  stdin(flag: string, label: string): Promise<string>;
}

/** Whether any of a type's options was given. */
export function givenFor(d: AnyIntegrationTypeDefinition, o: Record<string, unknown>): boolean {
  return d.cli.flags.some((f) => o[optionKey(f.flag)] !== undefined);
}

const STDIN = Symbol('stdin');
type Given = Map<string, { flag: FlagSpec; value: unknown }>;

/**
 * The section to send for `integration add` (every required setting, or an InputError naming the flag) or
 * `integration edit` (only what was given; `""` clears a setting whose flag says so). Undefined when an
 * edit names none of the type's settings.
 */
export async function sectionFromFlags(
  d: AnyIntegrationTypeDefinition,
  o: Record<string, unknown>,
  mode: 'add' | 'edit',
  secrets: SecretSource,
): Promise<Record<string, unknown> | undefined> {
  const shape = shapeOf(d.spec);
  const given: Given = new Map();
  for (const f of d.cli.flags) {
    const v = o[optionKey(f.flag)];
    if (v === undefined || (f.editOnly && mode === 'add') || (isStdin(f) && v !== true)) continue;
    given.set(f.setting, { flag: f, value: isStdin(f) ? STDIN : v });
  }
  const chosen = chooseVariants(d, shape, given, mode, secrets.env);
  const inScope = (leaf: Leaf) => !leaf.variant || chosen.get(leaf.variant.union) === leaf.variant.value;
  fromEnvironment(d, shape, given, mode, secrets.env, inScope);
  if (mode === 'add') requireSettings(d, shape, given, inScope);

  const settings: Record<string, unknown> = {};
  for (const [union, value] of chosen)
    settings[`${union}.${unionOf(shape.unions, union)?.discriminator}`] = value;
  for (const [path, { flag, value }] of given) {
    settings[path] = await valueOf(d, flag, value, shape.leaves.get(path), mode, secrets);
  }
  return Object.keys(settings).length ? nest(settings) : undefined;
}

/** The alternative of each union that the given settings belong to (or, on add, that the environment fills). */
function chooseVariants(
  d: AnyIntegrationTypeDefinition,
  shape: Shape,
  given: Given,
  mode: 'add' | 'edit',
  env: SecretSource['env'],
): Map<string, string> {
  const chosen = new Map<string, string>();
  for (const u of shape.unions) {
    const leavesOf = (value: string) =>
      [...shape.leaves].filter(([, l]) => l.variant?.union === u.path && l.variant.value === value);
    const hit = u.values.filter((value) => leavesOf(value).some(([p]) => given.has(p)));
    if (hit.length > 1) {
      const ways = hit.map((v) => choiceWords(d, shape, u, v, given));
      throw new InputError(`Use either ${ways.join(' or ')}, not both.`);
    }
    if (hit[0] !== undefined) {
      chosen.set(u.path, hit[0]);
      continue;
    }
    if (mode === 'edit' || u.optional) continue;
    // Nothing typed: an alternative whose every required setting is a secret in the environment.
    const byEnv = u.values.filter((value) =>
      leavesOf(value)
        .filter(([, l]) => !l.optional)
        .every(([p]) => envOf(d, p, env) !== undefined),
    );
    if (byEnv.length === 1 && byEnv[0] !== undefined) {
      chosen.set(u.path, byEnv[0]);
      continue;
    }
    const ways = u.values.map((v) => choiceWords(d, shape, u, v));
    throw new InputError(`Choose one: ${ways.join(' or ')}.`, { hints: envHints(d, u, shape) });
  }
  return chosen;
}

/** `--role-arn <arn> (IAM role)`: the required flags of one alternative, or those given, with its label. */
function choiceWords(
  d: AnyIntegrationTypeDefinition,
  shape: Shape,
  u: Union,
  value: string,
  given?: Given,
): string {
  const flags = d.cli.flags.filter((f) => {
    const path = f.setting;
    if (!path.startsWith(`${u.path}.`) || f.editOnly) return false;
    const leaf = shape.leaves.get(path);
    if (leaf?.variant?.value !== value) return false;
    return given ? given.has(path) : !leaf.optional;
  });
  const choice = d.form.fields.find((f) => f.path === `${d.section}.${u.path}.${u.discriminator}`);
  const label =
    choice?.kind === 'choice' ? (choice.options.find((opt) => opt.value === value)?.label ?? value) : value;
  return `${flags.map((f) => (given ? flagName(f) : f.flag)).join(' ')} (${label})`;
}

function envHints(d: AnyIntegrationTypeDefinition, u: Union, shape: Shape): string[] {
  const envs = d.cli.flags.filter((f) => f.env && shape.leaves.get(f.setting)?.variant?.union === u.path);
  return envs.length ? [`A secret may also come from env ${envs.map((f) => f.env).join(' or ')}.`] : [];
}

function envOf(d: AnyIntegrationTypeDefinition, path: string, env: SecretSource['env']): string | undefined {
  const name = d.cli.flags.find((f) => f.setting === path && f.env)?.env;
  const v = name ? env[name]?.trim() : undefined;
  return v || undefined;
}

/**
 * A secret not piped in comes from its flag's environment variable on add; on edit only when a flag given
 * names it as its companion (a new access key ID comes with its secret). Edit never rotates a secret
 * because a variable happens to be set.
 */
function fromEnvironment(
  d: AnyIntegrationTypeDefinition,
  shape: Shape,
  given: Given,
  mode: 'add' | 'edit',
  env: SecretSource['env'],
  inScope: (leaf: Leaf) => boolean,
): void {
  const wanted = new Set<string>();
  for (const [path, leaf] of shape.leaves)
    if (mode === 'add' && leaf.secret && inScope(leaf)) wanted.add(path);
  for (const { flag } of given.values()) if (flag.comesWith) wanted.add(flag.comesWith);
  for (const path of wanted) {
    if (given.has(path)) continue;
    const value = envOf(d, path, env);
    const flag = d.cli.flags.find((f) => f.setting === path);
    if (value !== undefined && flag) given.set(path, { flag, value });
    else if (mode === 'edit' && flag) {
      const by = [...given.values()].find((g) => g.flag.comesWith === path)?.flag;
      throw new InputError(`${by ? flagName(by) : 'This option'} comes with ${flagName(flag)}.`, {
        hints: flag.env ? [`Or set ${flag.env}.`] : [],
      });
    }
  }
}

/** On add: every required setting of the spec (in the chosen alternatives) that has a flag. */
function requireSettings(
  d: AnyIntegrationTypeDefinition,
  shape: Shape,
  given: Given,
  inScope: (leaf: Leaf) => boolean,
): void {
  for (const f of d.cli.flags) {
    const leaf = shape.leaves.get(f.setting);
    if (!leaf || leaf.optional || !inScope(leaf) || given.has(f.setting) || f.editOnly) continue;
    if (!leaf.secret) throw new InputError(`${flagName(f)} is required (${f.description}).`);
    const what = secretLabel(d, f);
    throw new InputError(`${d.title} needs the ${what}: pipe it in with ${flagName(f)}.`, {
      hints: [`${f.env ? `Or set ${f.env}. ` : ''}It is never accepted as an argument.`],
    });
  }
}

/** The secret's form label in a sentence: `secret access key`, `API token` (an acronym stays). */
function secretLabel(d: AnyIntegrationTypeDefinition, f: FlagSpec): string {
  const label = d.form.fields.find((x) => x.path === `${d.section}.${f.setting}`)?.label ?? f.setting;
  return /^[A-Z][a-z]/.test(label) ? label.charAt(0).toLowerCase() + label.slice(1) : label;
}

async function valueOf(
  d: AnyIntegrationTypeDefinition,
  flag: FlagSpec,
  value: unknown,
  leaf: Leaf | undefined,
  mode: 'add' | 'edit',
  secrets: SecretSource,
): Promise<unknown> {
  if (value === STDIN) {
    const label = secretLabel(d, flag);
    const s = (await secrets.stdin(flagName(flag), label)).trim();
    if (!s)
      throw new InputError(`No ${label} on standard input.`, {
        hints: [`printf '%s' "$SECRET" | imagetrail integration … ${flagName(flag)}`],
      });
    return s;
  }
  if (value === '' && mode === 'edit' && flag.emptyClears) return null;
  if (leaf?.number && typeof value === 'string') {
    const n = Number(value);
    if (!Number.isInteger(n))
      throw new InputError(`${flagName(flag)} must be a whole number, got "${value}"`);
    return n;
  }
  return value;
}

/** `{ 'auth.mode': 'x', region: 'y' }` → `{ auth: { mode: 'x' }, region: 'y' }`. */
function nest(settings: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(settings)) {
    const keys = path.split('.');
    let at = out;
    for (const k of keys.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
    at[keys[keys.length - 1] ?? path] = value;
  }
  return out;
}
