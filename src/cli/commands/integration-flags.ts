import type { Command } from 'commander';
import { InputError } from '../../domain/errors.js';
import type { AnyIntegrationTypeDefinition, CliSpec } from '../../integrations/types/definition.js';
import { INTEGRATION_TYPE_DEFINITIONS } from '../../integrations/types/definitions.js';
import { collect } from './common.js';
import { givenFor, sectionFromFlags, type SecretSource } from './integration-section.js';

// The flags of `integration add|edit` shared by every type, and the sections built from each type's flags
// (integration-section.ts). The commands themselves are in integration.ts.

/** Options shared by every type's add and by edit. */
export interface CommonFlags {
  allRuntimes?: boolean;
  runtime?: string[];
  skipTest?: boolean;
  testRuntime?: string;
  description?: string;
  json?: boolean;
}

export function commonOptions(cmd: Command, forEdit: boolean): Command {
  return cmd
    .option('--all-runtimes', 'share with all runtimes')
    .option('--runtime <names...>', 'share with these runtimes only (repeat or comma-separate)', collect)
    .option('--skip-test', 'commit without testing the connection first')
    .option('--test-runtime <name>', 'run the connection test on this runtime')
    .option('--description <text>', forEdit ? 'new description ("" to clear)' : 'free text')
    .option('--json', 'print JSON');
}

/** A type's options, from its definition's CLI flags (`<type>/flags.ts`); edit takes every type's. */
export function typeOptions(cmd: Command, cli: CliSpec, forEdit: boolean): Command {
  for (const f of cli.flags) {
    if (f.editOnly && !forEdit) continue;
    cmd.option(f.flag, forEdit ? (f.editDescription ?? f.description) : f.description);
  }
  return cmd;
}

async function readStdin(prompt: string): Promise<string> {
  if (process.stdin.isTTY) {
    process.stderr.write(`${prompt}: `);
  }
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Secrets from standard input or the environment: never from argv, where every user can read them. */
const PROCESS_SECRETS: SecretSource = {
  env: process.env,
  stdin: (_flag, label) => readStdin(label.charAt(0).toUpperCase() + label.slice(1)),
};

/** `integration add <command>`: the type's section from its flags. */
export async function addSection(
  d: AnyIntegrationTypeDefinition,
  o: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  return { [d.section]: await sectionFromFlags(d, o, 'add', PROCESS_SECRETS) };
}

/**
 * Edit takes every type's options; those given say which section changes, and the server refuses a
 * section that does not match the integration's type. Options of two types at once are a usage error.
 */
export async function editSections(o: Record<string, unknown>): Promise<Record<string, unknown>> {
  const given = INTEGRATION_TYPE_DEFINITIONS.filter((d) => givenFor(d, o));
  if (given.length > 1) {
    const titles = INTEGRATION_TYPE_DEFINITIONS.map((d) => d.title).join(', ');
    throw new InputError(
      `These options belong to different integration types (${titles}); give one type's options.`,
    );
  }
  const d = given[0];
  const section = d ? await sectionFromFlags(d, o, 'edit', PROCESS_SECRETS) : undefined;
  return d && section ? { [d.section]: section } : {};
}

export function sharingFrom(
  o: CommonFlags,
  required: boolean,
): { allRuntimes: true } | { runtimes: string[] } | undefined {
  if (o.allRuntimes && o.runtime?.length)
    throw new InputError('Use either --all-runtimes or --runtime, not both.');
  if (o.allRuntimes) return { allRuntimes: true };
  if (o.runtime?.length) return { runtimes: o.runtime };
  if (required) {
    throw new InputError(
      'Say whom to share the integration with: --all-runtimes, or --runtime NAME (repeatable).',
    );
  }
  return undefined;
}

export function dropUndef<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
