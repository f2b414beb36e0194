import { existsSync } from 'node:fs';
import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { sectionFromFlags } from '../../src/cli/commands/integration-section.js';
import { IntegrationView, SecretSet } from '../../src/contract/integrations.js';
import { availabilityFor } from '../../src/integrations/availability.js';
import { conformanceProblems } from '../../src/integrations/types/conformance.js';
import {
  secretPaths,
  sectionView,
  type AnyIntegrationTypeDefinition,
} from '../../src/integrations/types/definition.js';
import { INTEGRATION_TYPE_DEFINITIONS, secretFieldNames } from '../../src/integrations/types/definitions.js';
import { integrationTypesTable, withTypesTable } from '../../src/integrations/types/docs-table.js';
import {
  loadHandlers,
  TYPE_FOLDERS,
  type HandlerSource,
} from '../../src/integrations/types/handler-loader.js';
import { toyWebhookDefinition } from './notify-webhook/definition.js';
import { notifyWebhook } from './notify-webhook/handler.js';

// A new integration type is its folder (notify-webhook/: kind, view, flags, form, definition, handler) and one registry line;
// what the registry derives picks it up, and the conformance check names every piece a type forgets.

/** The registry with the toy added: the one line a new type adds to src/integrations/types/definitions.ts. */
const REGISTRY: AnyIntegrationTypeDefinition[] = [...INTEGRATION_TYPE_DEFINITIONS, toyWebhookDefinition];

const R = `age1${'q'.repeat(58)}`;
const hybrid = {
  metadata: { name: 'eu' },
  spec: { type: 'hybrid' as const, version: '0.2.0', recipient: R },
};
const hosted = {
  metadata: { name: 'cloud' },
  spec: { type: 'hosted' as const, version: '0.2.0', recipient: R },
};

describe('a toy integration type in its own folder', () => {
  it('conforms, next to the built-in types', () => {
    expect(conformanceProblems(REGISTRY)).toEqual([]);
  });

  it('gets sealing, redaction, availability, the CLI and the docs table from the registry', async () => {
    expect(secretPaths(toyWebhookDefinition)).toEqual(['signingKey']);
    expect(secretFieldNames(REGISTRY)).toContain('signingKey');
    expect(availabilityFor(toyWebhookDefinition, {}, hybrid).available).toBe(true);
    expect(availabilityFor(toyWebhookDefinition, {}, hosted)).toEqual({
      runtime: 'cloud',
      available: false,
      reason: 'runtime "cloud" is hosted: webhooks need a hybrid runtime',
    });
    const table = integrationTypesTable(REGISTRY);
    // `integration add webhook --url … --signing-key-stdin`: the CLI builds its section from flags.ts alone.
    const stdin = { env: {}, stdin: () => Promise.resolve('key-1\n') };
    const o = { url: 'https://hook.example', signingKeyStdin: true };
    expect(await sectionFromFlags(toyWebhookDefinition, o, 'add', stdin)).toEqual({
      url: 'https://hook.example',
      signingKey: 'key-1',
    });
    expect(table).toContain('`notify.webhook`');
    expect(table).toContain('`signingKey` (`--signing-key-stdin`)');
  });
});

/**
 * Where the server looks for a type's `handler.ts`, with this folder first: a test cannot add a folder to
 * src/integrations/types/, so its toy's folder sits here, found by the same convention (type → folder).
 */
const here = (folder: string) => existsSync(new URL(`./${folder}`, import.meta.url));
const WITH_TOY: HandlerSource = {
  file: (folder) =>
    here(folder) ? `test/integration-types/${folder}/handler.ts` : TYPE_FOLDERS.file(folder),
  load: (folder) => (here(folder) ? import(`./${folder}/handler.ts`) : TYPE_FOLDERS.load(folder)),
};

describe('the API view of a toy type’s section, with no line in the shared contract', () => {
  const sealed = { sealed: 'x', recipients: [R] };
  /** An answer as the server sends it: the common fields and the handler's view under the section key. */
  const answer = () => ({
    name: 'hook',
    type: 'notify.webhook',
    mode: 'key',
    [toyWebhookDefinition.section]: notifyWebhook.view({ url: 'https://hook.example', signingKey: sealed }),
    sharing: { allRuntimes: true },
    placements: [{ scope: 'all', file: 'resources/all-runtimes-all-clusters/hook.yaml' }],
    availability: [],
  });

  it('survives a client’s parse with the shared IntegrationView and reads back through sectionView', () => {
    // What the CLI and the dashboard do with every answer; a section the contract does not name used to
    // be stripped here.
    const parsed = IntegrationView.parse(JSON.parse(JSON.stringify(answer())));
    const webhook = sectionView(toyWebhookDefinition, parsed);
    expect(webhook).toEqual({ url: 'https://hook.example', signingKey: { set: true } });
    expect(toyWebhookDefinition.form.fromView(webhook)).toEqual({ url: 'https://hook.example' });
    expect(toyWebhookDefinition.form.storedSecrets(webhook, {})).toEqual(['signingKey']);
    expect(toyWebhookDefinition.form.summary(webhook)).toBe('Webhook (https://hook.example)');
  });

  it('reads nothing from an answer without the section, or one its view schema refuses', () => {
    const { webhook: _, ...other } = IntegrationView.parse(answer());
    expect(sectionView(toyWebhookDefinition, other)).toBeUndefined();
    const odd = IntegrationView.parse({ ...answer(), webhook: { url: 42 } });
    expect(sectionView(toyWebhookDefinition, odd)).toBeUndefined();
  });
});

describe('the server finds each registered type’s handler by its folder', () => {
  it('loads notify-webhook/handler.ts for the toy, next to the built-in types', async () => {
    const handlers = await loadHandlers(REGISTRY, WITH_TOY);
    expect(Object.keys(handlers)).toEqual(REGISTRY.map((d) => d.type));
    for (const d of REGISTRY) expect(handlers[d.type]?.definition).toBe(d);
    const toy = handlers['notify.webhook'];
    const sealed = { sealed: 'x', recipients: [R] };
    expect(toy?.sealedFields({ url: 'https://hook.example', signingKey: sealed })).toEqual([
      { path: 'signingKey', value: sealed },
    ]);
    expect(toy?.availability({}, hosted).available).toBe(false);
  });

  it('a registered type without a handler.ts stops the start, naming the type and the file', async () => {
    const orphan = { ...toyWebhookDefinition, type: 'notify.orphan', section: 'orphan' };
    await expect(loadHandlers([orphan], WITH_TOY)).rejects.toThrow(
      'Integration type notify.orphan has no handler: src/integrations/types/notify-orphan/handler.ts could not be loaded',
    );
  });

  it('a handler.ts exporting no handler, or one built from another definition, stops the start', async () => {
    const exporting = (module: object): HandlerSource => ({
      file: (folder) => `test/${folder}/handler.ts`,
      load: () => Promise.resolve(module),
    });
    await expect(loadHandlers([toyWebhookDefinition], exporting({ toyWebhookDefinition }))).rejects.toThrow(
      'Integration type notify.webhook has no handler: test/notify-webhook/handler.ts exports none built by defineHandler',
    );
    const copy = { ...toyWebhookDefinition };
    await expect(loadHandlers([copy], exporting({ notifyWebhook }))).rejects.toThrow(
      'Integration type notify.webhook has no handler: test/notify-webhook/handler.ts exports one built from another definition (notify.webhook), not the registered one',
    );
  });
});

describe('the conformance check fails when a type forgets a piece', () => {
  const toy = toyWebhookDefinition;
  const problems = (d: AnyIntegrationTypeDefinition) =>
    conformanceProblems([...INTEGRATION_TYPE_DEFINITIONS, d]);

  it('a secret not marked (a plain string instead of SealedValue)', () => {
    const spec = z.object({ url: z.string(), signingKey: z.string() });
    expect(problems({ ...toy, spec })).toEqual([
      'notify.webhook: form field signingKey is a secret but the spec does not seal signingKey (use SealedValue)',
      'notify.webhook: view field signingKey is a SecretSet but the spec seals no signingKey',
    ]);
  });

  it('a secret without its form field or its -stdin flag', () => {
    const form = { ...toy.form, fields: toy.form.fields.filter((f) => f.kind !== 'secret') };
    expect(problems({ ...toy, form })).toEqual([
      'notify.webhook: secret signingKey has no secret field in the dashboard form',
    ]);
    const cli = { ...toy.cli, flags: toy.cli.flags.filter((f) => f.setting !== 'signingKey') };
    expect(problems({ ...toy, cli })).toEqual(['notify.webhook: secret signingKey has no -stdin CLI flag']);
  });

  it('a form field or CLI flag for a setting the spec does not have', () => {
    const form = {
      ...toy.form,
      fields: [
        ...toy.form.fields,
        { kind: 'text' as const, key: 'x', label: 'X', group: 'main' as const, path: 'webhook.x' },
      ],
    };
    expect(problems({ ...toy, form })).toEqual([
      'notify.webhook: form field x: webhook.x is not a setting of the spec',
    ]);
    const cli = {
      ...toy.cli,
      flags: [...toy.cli.flags, { flag: '--x <x>', setting: 'x', description: 'x' }],
    };
    expect(problems({ ...toy, cli })).toEqual([
      'notify.webhook: CLI flag --x <x>: x is not a setting of the spec',
    ]);
  });

  it('a CLI flag without a description, a secret taken from argv, a clash with another type’s flag', () => {
    const flags = [
      { flag: '--url <url>', setting: 'url', description: '' },
      { flag: '--signing-key <key>', setting: 'signingKey', description: 'the key' },
      { flag: '--region <region>', setting: 'url', description: 'clashes with ECR' },
    ];
    expect(problems({ ...toy, cli: { ...toy.cli, flags } })).toEqual([
      'two types have the CLI flag "--region <region>"',
      'notify.webhook: CLI flag --url <url> has no description',
      'notify.webhook: CLI flag --signing-key <key> takes the secret signingKey as an argument: read it from stdin (--…-stdin)',
      'notify.webhook: secret signingKey has no -stdin CLI flag',
    ]);
  });

  it('CLI data the generic flag reader cannot honour: env on an argv flag, "" clears unsaid, a missing companion', () => {
    const flags = [
      { flag: '--url <url>', setting: 'url', description: 'u', env: 'URL', emptyClears: true },
      {
        flag: '--signing-key-stdin',
        setting: 'signingKey',
        description: 'k',
        comesWith: 'minRuntimeVersion',
      },
    ];
    expect(problems({ ...toy, cli: { ...toy.cli, flags } })).toEqual([
      'notify.webhook: CLI flag --url <url>: only a -stdin flag falls back to env URL',
      'notify.webhook: CLI flag --url <url>: its edit description must say that "" clears it',
      'notify.webhook: CLI flag --signing-key-stdin: comes with minRuntimeVersion, which no flag sets',
    ]);
  });

  it('no availability words, an endpoint or mode setting that does not exist, a type or section taken', () => {
    expect(
      problems({ ...toy, availabilityText: '', endpoints: [{ path: 'hook' }], mode: { path: 'auth.kind' } }),
    ).toEqual([
      'notify.webhook: availabilityText (docs table) must not be empty',
      'notify.webhook: mode setting auth.kind is not in the spec',
      'notify.webhook: endpoint hook is not in the spec',
    ]);
    expect(problems({ ...toy, section: 'jira' })[0]).toBe('two types have the section "jira"');
  });

  it('a secret its API view leaves out, shows in clear, or a SecretSet for no secret', () => {
    const missing = z.object({ url: z.string() });
    expect(problems({ ...toy, view: missing })).toEqual([
      'notify.webhook: the view does not show secret signingKey (as SecretSet)',
    ]);
    const clear = z.object({ url: z.string(), signingKey: z.string() });
    expect(problems({ ...toy, view: clear })).toEqual([
      'notify.webhook: the view shows secret signingKey in clear at signingKey: make it SecretSet',
    ]);
    const extra = z.object({ url: SecretSet, signingKey: SecretSet.optional() });
    expect(problems({ ...toy, view: extra })).toEqual([
      'notify.webhook: view field url is a SecretSet but the spec seals no url',
    ]);
  });

  it('the docs table not regenerated after registering it', () => {
    const doc = withTypesTable(
      `intro\n\n<!-- integration-types:begin — generated from src/integrations/types (npm run docs:integration-types) -->\n\nold\n\n<!-- integration-types:end -->\n`,
      integrationTypesTable(INTEGRATION_TYPE_DEFINITIONS),
    );
    expect(withTypesTable(doc, integrationTypesTable(REGISTRY))).not.toBe(doc);
  });
});
