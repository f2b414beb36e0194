import { SecretSet } from '../../contract/integrations.js';
import { secretPaths, settingsOf, type AnyIntegrationTypeDefinition } from './definition.js';

/**
 * What every integration type must have, checked over the registry by a test: a type that forgets a piece
 * (a secret not sealed, a form field or CLI flag for a setting the spec lacks, a secret without its form
 * field or `-stdin` flag, a secret its API view leaves out or shows in clear, no runtime rule, no docs
 * words) is reported, one sentence per problem.
 */
export function conformanceProblems(definitions: readonly AnyIntegrationTypeDefinition[]): string[] {
  return [...registryProblems(definitions), ...definitions.flatMap(typeProblems)];
}

function registryProblems(definitions: readonly AnyIntegrationTypeDefinition[]): string[] {
  const out: string[] = [];
  const dup = (what: string, values: string[]) => {
    for (const v of new Set(values.filter((x, i) => values.indexOf(x) !== i)))
      out.push(`two types have the ${what} "${v}"`);
  };
  dup(
    'type',
    definitions.map((d) => d.type),
  );
  dup(
    'section',
    definitions.map((d) => d.section),
  );
  dup(
    'CLI command',
    definitions.map((d) => d.cli.command),
  );
  // `integration edit` takes every type's options at once.
  dup(
    'CLI flag',
    definitions.flatMap((d) => [...new Set(d.cli.flags.map((f) => f.flag))]),
  );
  return out;
}

function typeProblems(d: AnyIntegrationTypeDefinition): string[] {
  const out: string[] = [];
  const at = (m: string) => out.push(`${d.type}: ${m}`);
  const settings = settingsOf(d.spec);
  const secrets = new Set(secretPaths(d));
  const known = (path: string) => settings.has(path);

  if (!/^[a-z]+\.[a-z0-9-]+$/.test(d.type)) at('type must be "<kind>.<name>", e.g. registry.ecr');
  if (!d.title.trim() || !d.summary.trim()) at('title and summary (docs table) must not be empty');
  if (typeof d.runtimeRule !== 'function') at('no runtime rule (availability on runtimes)');
  if (!d.availabilityText.trim()) at('availabilityText (docs table) must not be empty');
  if ('path' in d.mode && !known(d.mode.path)) at(`mode setting ${d.mode.path} is not in the spec`);
  for (const e of d.endpoints) {
    if (!known(e.path)) at(`endpoint ${e.path} is not in the spec`);
    else if (secrets.has(e.path)) at(`endpoint ${e.path} is a secret`);
  }
  for (const path of Object.keys(d.formats ?? {})) if (!known(path)) at(`format of ${path}: not in the spec`);

  // The dashboard form: every field names a setting of the spec; secrets are secret fields and vice versa.
  const prefix = `${d.section}.`;
  const secretFields = new Set<string>();
  for (const f of d.form.fields) {
    if (!f.label.trim()) at(`form field ${f.key} has no label`);
    if (!f.path) {
      at(`form field ${f.key} names no setting (path)`);
      continue;
    }
    const path = f.path.startsWith(prefix) ? f.path.slice(prefix.length) : undefined;
    if (path === undefined || !known(path)) at(`form field ${f.key}: ${f.path} is not a setting of the spec`);
    else if (f.kind === 'secret' && !secrets.has(path))
      at(`form field ${f.key} is a secret but the spec does not seal ${path} (use SealedValue)`);
    else if (f.kind !== 'secret' && secrets.has(path))
      at(`form field ${f.key} shows the sealed setting ${path}: make it a secret field`);
    if (f.kind === 'secret' && path) secretFields.add(path);
  }

  // The CLI: every flag described and naming a setting; a secret is read from stdin, never from argv.
  const secretFlags = new Set<string>();
  for (const f of d.cli.flags) {
    if (!f.description.trim()) at(`CLI flag ${f.flag} has no description`);
    if (!known(f.setting)) at(`CLI flag ${f.flag}: ${f.setting} is not a setting of the spec`);
    if (f.env && !/-stdin$/.test(f.flag))
      at(`CLI flag ${f.flag}: only a -stdin flag falls back to env ${f.env}`);
    if (f.emptyClears && !(f.editDescription ?? '').includes('""'))
      at(`CLI flag ${f.flag}: its edit description must say that "" clears it`);
    if (f.comesWith && !d.cli.flags.some((g) => g.setting === f.comesWith))
      at(`CLI flag ${f.flag}: comes with ${f.comesWith}, which no flag sets`);
    if (!secrets.has(f.setting)) continue;
    if (/^--[a-z0-9-]+-stdin$/.test(f.flag)) secretFlags.add(f.setting);
    else
      at(`CLI flag ${f.flag} takes the secret ${f.setting} as an argument: read it from stdin (--…-stdin)`);
  }
  if (!d.cli.description.trim()) at('CLI command has no description');

  for (const s of secrets) {
    if (!secretFields.has(s)) at(`secret ${s} has no secret field in the dashboard form`);
    if (!secretFlags.has(s)) at(`secret ${s} has no -stdin CLI flag`);
  }
  return [...out, ...viewProblems(d, secrets)];
}

/**
 * The API view (`view.ts`) shows each secret of the spec as `SecretSet` only, by its path or by its last
 * name (ECR's view flattens `auth`), and shows nothing else as one.
 */
function viewProblems(d: AnyIntegrationTypeDefinition, secrets: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const view = [...settingsOf(d.view, SecretSet)];
  const last = (p: string) => p.split('.').pop();
  for (const s of secrets) {
    const shown = view.filter(([p]) => p === s || last(p) === last(s));
    if (shown.length === 0) out.push(`${d.type}: the view does not show secret ${s} (as SecretSet)`);
    for (const [p, f] of shown)
      if (!f.secret) out.push(`${d.type}: the view shows secret ${s} in clear at ${p}: make it SecretSet`);
  }
  for (const [p, f] of view)
    if (f.secret && ![...secrets].some((s) => p === s || last(p) === last(s)))
      out.push(`${d.type}: view field ${p} is a SecretSet but the spec seals no ${p}`);
  return out;
}
