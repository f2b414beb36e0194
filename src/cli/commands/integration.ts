import { createInterface } from 'node:readline/promises';
import { Option, type Command } from 'commander';
import {
  DeleteResult,
  IntegrationList,
  IntegrationView,
  MutationResult,
  TestResult,
} from '../../contract/integrations.js';
import { InputError } from '../../domain/errors.js';
import { EXIT, ExitCode } from '../exit-codes.js';
import { formatCheck, printJson, stdio, table, type CheckLike, type Output } from '../output.js';
import { answerOf, type ApiClient } from '../client.js';
import type * as z from 'zod';
import { clientFor } from './common.js';
import { short } from './runtime.js';
import {
  addSection,
  commonOptions,
  dropUndef,
  editSections,
  sharingFrom,
  type CommonFlags,
  typeOptions,
} from './integration-flags.js';
import { sectionView } from '../../integrations/types/definition.js';
import { INTEGRATION_TYPE_DEFINITIONS } from '../../integrations/types/definitions.js';
import { registryEcrDefinition } from '../../integrations/types/registry-ecr/definition.js';

export function registerIntegration(program: Command): void {
  const integ = program
    .command('integration')
    .description(
      `manage integrations: ${INTEGRATION_TYPE_DEFINITIONS.map((d) => d.title).join(', ')} (stored in the shared configuration repository)`,
    );
  registerAdd(integ);
  registerEdit(integ);
  registerList(integ);
  registerShow(integ);
  registerTest(integ);
  registerDelete(integ);
}

/** `integration add <command>` for every registered type, from its definition's CLI flags. */
function registerAdd(integ: Command): void {
  const add = integ.command('add').description('add an integration');
  for (const d of INTEGRATION_TYPE_DEFINITIONS) {
    commonOptions(typeOptions(add.command(`${d.cli.command} <name>`), d.cli, false), false)
      .description(d.cli.description)
      .action(async (name: string, o: CommonFlags & Record<string, unknown>, cmd: Command) => {
        sharingFrom(o, true); // usage errors before reading a secret from stdin
        await addIntegration(cmd, name, o, d.type, await addSection(d, o));
      });
  }
}

function registerEdit(integ: Command): void {
  const edit = integ.command('edit <name>');
  for (const d of INTEGRATION_TYPE_DEFINITIONS) typeOptions(edit, d.cli, true);
  commonOptions(edit, true)
    .description(
      'change an integration; only the options given change (an omitted secret keeps the stored one); tested before it is committed',
    )
    .action(async (name: string, o: CommonFlags & Record<string, unknown>, cmd: Command) => {
      const out = stdio(Boolean(o.json));
      const sections = await editSections(o);
      const body = dropUndef({
        description: o.description === '' ? null : o.description,
        sharing: sharingFrom(o, false),
        ...sections,
        skipTest: Boolean(o.skipTest),
        testRuntime: o.testRuntime,
      });
      const client = await clientFor(cmd);
      const res = await withChecks(
        MutationResult,
        out,
        client,
        'PATCH',
        `/api/v1/integrations/${encodeURIComponent(name)}`,
        body,
        `Testing the connection of ${name}…`,
      ).catch((err: unknown) => printTestFailure(out, err));
      if (out.json) return printJson(out, res);
      out.out(
        res.commit
          ? `Integration ${name} updated in ${short(res.commit)}.`
          : `Integration ${name}: nothing changed.`,
      );
      printAvailability(out, res.integration);
    });
}

function registerList(integ: Command): void {
  integ
    .command('list')
    .description('list integrations with where they are shared and whether each runtime can use them')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const out = stdio(Boolean(o.json));
      const { items } = await (await clientFor(cmd)).call(IntegrationList, 'GET', '/api/v1/integrations');
      if (out.json) return printJson(out, items);
      if (items.length === 0)
        return out.out(
          `No integrations yet. Add one with: imagetrail integration add ${INTEGRATION_TYPE_DEFINITIONS.map((d) => d.cli.command).join('|')} NAME … (see --help)`,
        );
      out.out(
        table([
          ['NAME', 'TYPE', 'MODE', 'SHARED WITH', 'AVAILABLE ON', 'LAST COMMIT'],
          ...items.map((i) => [
            i.name,
            i.type,
            // A server without the common `mode` word said it only in ECR's section.
            i.mode ?? sectionView(registryEcrDefinition, i)?.mode ?? '-',
            'allRuntimes' in i.sharing ? 'all runtimes' : i.sharing.runtimes.join(','),
            i.availability.map((a) => (a.available ? a.runtime : `!${a.runtime}`)).join(',') || '-',
            i.lastCommit ? `${i.lastCommit.sha.slice(0, 8)} ${i.lastCommit.time}` : '-',
          ]),
        ]),
      );
      if (items.some((i) => i.availability.some((a) => !a.available)))
        out.out('(!runtime: not available there; see `integration show NAME`)');
    });
}

function registerShow(integ: Command): void {
  integ
    .command('show <name>')
    .description('show an integration (secrets are shown as set, never their value)')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { json?: boolean }, cmd: Command) => {
      const out = stdio(Boolean(o.json));
      const i = await (
        await clientFor(cmd)
      ).call(IntegrationView, 'GET', `/api/v1/integrations/${encodeURIComponent(name)}`);
      if (out.json) return printJson(out, i);
      out.out(`Integration: ${i.name} (${i.type})`);
      if (i.description) out.out(`Description: ${i.description}`);
      // The type's settings sit under its section key; secrets are only ever `{"set":true}` here. Printed
      // as answered, not through the view schema, which would hide a newer server's extra settings.
      for (const d of INTEGRATION_TYPE_DEFINITIONS) {
        const section = (i as Record<string, unknown>)[d.section];
        for (const [k, v] of Object.entries(section ?? {})) {
          out.out(`  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
        }
      }
      out.out(`Shared with: ${'allRuntimes' in i.sharing ? 'all runtimes' : i.sharing.runtimes.join(', ')}`);
      out.out(`Files: ${i.placements.map((p) => p.file).join(', ')}`);
      if (i.lastCommit)
        out.out(`Last commit: ${i.lastCommit.sha.slice(0, 12)} ${i.lastCommit.time} ${i.lastCommit.subject}`);
      printAvailability(out, i);
      for (const p of i.problems) out.out(`Problem: ${p.file} ${p.path}: ${p.message}`);
    });
}

function registerTest(integ: Command): void {
  integ
    .command('test <name>')
    .description('test a stored integration on a runtime it is available on')
    .option('--runtime <name>', 'runtime to run the test on (default: the local runtime)')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, o: { runtime?: string; json?: boolean }, cmd: Command) => {
      const out = stdio(Boolean(o.json));
      const client = await clientFor(cmd);
      const q = o.runtime ? `?runtime=${encodeURIComponent(o.runtime)}` : '';
      const result = await withChecks(
        TestResult,
        out,
        client,
        'POST',
        `/api/v1/integrations/${encodeURIComponent(name)}/test${q}`,
        {},
        `Testing ${name}…`,
      );
      if (out.json) printJson(out, result);
      else {
        const who = result.identity;
        const identity =
          who?.arn ??
          who?.login ??
          (who?.displayName ? `${who.displayName}${who.name ? ` (${who.name})` : ''}` : undefined);
        if (identity) out.err(`Identity: ${identity}`);
        out.err(
          result.ok
            ? `Connection test of ${name} passed on runtime ${result.runtime?.name ?? '?'}.`
            : `Connection test of ${name} FAILED.`,
        );
      }
      if (!result.ok) throw new ExitCode(EXIT.failed);
    });
}

function registerDelete(integ: Command): void {
  integ
    .command('delete <name>')
    .description('delete an integration and its sealed secrets from the repository, in one commit')
    .addOption(new Option('--confirm <word>', 'type DELETE to confirm'))
    .option('--json', 'print JSON')
    .action(async (name: string, o: { confirm?: string; json?: boolean }, cmd: Command) => {
      const out = stdio(Boolean(o.json));
      let confirm = o.confirm;
      if (confirm === undefined && process.stdin.isTTY) {
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        confirm = await rl.question(
          `Deleting ${name} removes it and its secrets from the shared configuration repository.\nType DELETE to confirm: `,
        );
        rl.close();
      }
      if (confirm !== 'DELETE') {
        throw new InputError(`Not deleted: confirm with --confirm DELETE.`, {
          hints: [`imagetrail integration delete ${name} --confirm DELETE`],
        });
      }
      const res = await (
        await clientFor(cmd)
      ).call(DeleteResult, 'DELETE', `/api/v1/integrations/${encodeURIComponent(name)}`, { confirm });
      if (out.json) return printJson(out, res);
      out.out(`Integration ${name} deleted in ${short(res.commit)} (removed ${res.removed.join(', ')}).`);
    });
}

async function addIntegration(
  cmd: Command,
  name: string,
  o: CommonFlags,
  type: string,
  section: Record<string, unknown>,
): Promise<void> {
  const out = stdio(Boolean(o.json));
  const body = dropUndef({
    name,
    type,
    description: o.description,
    sharing: sharingFrom(o, true),
    ...section,
    skipTest: Boolean(o.skipTest),
    testRuntime: o.testRuntime,
  });
  const client = await clientFor(cmd);
  const res = await withChecks(
    MutationResult,
    out,
    client,
    'POST',
    '/api/v1/integrations',
    body,
    `Testing the connection of ${name}…`,
  ).catch((err: unknown) => printTestFailure(out, err));
  if (out.json) return printJson(out, res);
  out.out(
    `Integration ${name} committed in ${short(res.commit)}: ${res.integration.placements.map((p) => p.file).join(', ')}`,
  );
  printAvailability(out, res.integration);
}

async function withChecks<S extends z.ZodType>(
  schema: S,
  out: Output,
  client: ApiClient,
  method: string,
  path: string,
  body: unknown,
  heading: string,
): Promise<z.output<S>> {
  let announced = false;
  const result = await client.stream(method, path, body, (line) => {
    if (out.json || line['type'] !== 'check') return;
    if (!announced) {
      out.err(heading);
      announced = true;
    }
    out.err(formatCheck(line['check'] as CheckLike));
  });
  return answerOf(schema, result, `${method} ${path}`);
}

function printTestFailure(out: Output, err: unknown): never {
  const result = (err as { result?: TestResult }).result;
  if (out.json && result) {
    printJson(out, result);
  }
  throw err;
}

function printAvailability(out: Output, i: IntegrationView): void {
  for (const a of i.availability) {
    out.out(
      `  ${a.available ? '✔' : '✘'} runtime ${a.runtime}${a.available ? '' : ` — ${a.reason ?? 'unavailable'}`}`,
    );
  }
}
