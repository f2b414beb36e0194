import { createInterface } from 'node:readline/promises';
import { Option, type Command } from 'commander';
import { InputError } from '../../domain/errors.js';
import { EXIT, ExitCode } from '../exit-codes.js';
import { formatCheck, printJson, stdio, table, type CheckLike, type Output } from '../output.js';
import type { ApiClient } from '../client.js';
import { clientFor, collect } from './common.js';
import { short } from './runtime.js';

interface IntegrationView {
  name: string;
  type: string;
  description?: string;
  ecr: Record<string, unknown> & { region: string; mode: string };
  sharing: { allRuntimes: true } | { runtimes: string[] };
  placements: Array<{ scope: string; runtime?: string; file: string }>;
  availability: Array<{ runtime: string; available: boolean; reason?: string; source?: string }>;
  lastCommit?: { sha: string; subject: string; time: string };
  problems: Array<{ file: string; path: string; message: string }>;
}

interface TestResult {
  ok: boolean;
  runtime?: { name: string; type: string };
  checks: CheckLike[];
  identity?: { arn: string; account: string };
}

interface EcrFlags {
  region?: string;
  accessKeyId?: string;
  secretAccessKeyStdin?: boolean;
  roleArn?: string;
  externalId?: string;
  sessionName?: string;
  durationSeconds?: string;
  allRuntimes?: boolean;
  runtime?: string[];
  skipTest?: boolean;
  testRuntime?: string;
  apiEndpoint?: string;
  stsEndpoint?: string;
  registryEndpoint?: string;
  description?: string;
  json?: boolean;
}

function ecrOptions(cmd: Command, forEdit: boolean): Command {
  return cmd
    .option('--region <region>', 'AWS region of the registry, e.g. eu-west-1')
    .option('--access-key-id <id>', 'access key mode: the IAM user access key ID')
    .option(
      '--secret-access-key-stdin',
      'access key mode: read the secret access key from standard input (else env AWS_SECRET_ACCESS_KEY)',
    )
    .option('--role-arn <arn>', 'IAM role mode: ARN of the role to assume from the runtime identity')
    .option('--external-id <id>', 'IAM role mode: external ID required by the role trust policy')
    .option('--session-name <name>', 'IAM role mode: STS role session name (default imagetrail-<runtime>)')
    .option(
      '--duration-seconds <n>',
      'IAM role mode: session length, 900–3600 (chained sessions are capped at 1 h)',
    )
    .option('--all-runtimes', 'share with all runtimes')
    .option('--runtime <names...>', 'share with these runtimes only (repeat or comma-separate)', collect)
    .option('--skip-test', 'commit without testing the connection first')
    .option('--test-runtime <name>', 'run the connection test on this runtime')
    .option('--api-endpoint <url>', 'ECR API endpoint override (VPC endpoint, test server)')
    .option('--sts-endpoint <url>', 'STS endpoint override')
    .option('--registry-endpoint <url>', 'registry (/v2/) endpoint override')
    .option('--description <text>', forEdit ? 'new description ("" to clear)' : 'free text')
    .option('--json', 'print JSON');
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    process.stderr.write('Secret access key: ');
  }
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

async function secretFrom(o: EcrFlags, required: boolean): Promise<string | undefined> {
  if (o.secretAccessKeyStdin) {
    const s = await readStdin();
    if (!s)
      throw new InputError('No secret access key on standard input.', {
        hints: ['echo "$SECRET" | imagetrail integration add ecr … --secret-access-key-stdin'],
      });
    return s;
  }
  const env = process.env['AWS_SECRET_ACCESS_KEY'];
  if (env) return env;
  if (required) {
    throw new InputError('Access key mode needs the secret access key.', {
      hints: [
        'Pipe it in with --secret-access-key-stdin, or set AWS_SECRET_ACCESS_KEY. It is never accepted as an argument.',
      ],
    });
  }
  return undefined;
}

function sharingFrom(
  o: EcrFlags,
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

function endpointsFrom(o: EcrFlags): Record<string, string> | undefined {
  const e: Record<string, string> = {};
  if (o.apiEndpoint) e['api'] = o.apiEndpoint;
  if (o.stsEndpoint) e['sts'] = o.stsEndpoint;
  if (o.registryEndpoint) e['registry'] = o.registryEndpoint;
  return Object.keys(e).length ? e : undefined;
}

function durationFrom(o: EcrFlags): number | undefined {
  if (o.durationSeconds === undefined) return undefined;
  const n = Number(o.durationSeconds);
  if (!Number.isInteger(n))
    throw new InputError(`--duration-seconds must be a whole number of seconds, got "${o.durationSeconds}"`);
  return n;
}

async function authForAdd(o: EcrFlags): Promise<Record<string, unknown>> {
  if (o.roleArn && (o.accessKeyId || o.secretAccessKeyStdin)) {
    throw new InputError(
      'Use either --role-arn (IAM role mode) or --access-key-id (access key mode), not both.',
    );
  }
  if (o.roleArn) {
    return dropUndef({
      mode: 'iamRole',
      roleArn: o.roleArn,
      externalId: o.externalId,
      sessionName: o.sessionName,
      durationSeconds: durationFrom(o),
    });
  }
  if (o.accessKeyId) {
    return { mode: 'accessKey', accessKeyId: o.accessKeyId, secretAccessKey: await secretFrom(o, true) };
  }
  throw new InputError('Choose a mode: --role-arn ARN (IAM role) or --access-key-id ID (access key).');
}

async function authForEdit(o: EcrFlags): Promise<Record<string, unknown> | undefined> {
  if (o.roleArn && (o.accessKeyId || o.secretAccessKeyStdin)) {
    throw new InputError(
      'Use either --role-arn (IAM role mode) or --access-key-id (access key mode), not both.',
    );
  }
  if (o.roleArn || o.externalId || o.sessionName || o.durationSeconds) {
    return dropUndef({
      mode: 'iamRole',
      roleArn: o.roleArn,
      externalId: o.externalId,
      sessionName: o.sessionName,
      durationSeconds: durationFrom(o),
    });
  }
  if (o.accessKeyId || o.secretAccessKeyStdin) {
    // A new key ID comes with its secret; the stdin flag alone rotates the secret of the same key.
    const secret =
      o.secretAccessKeyStdin || o.accessKeyId ? await secretFrom(o, Boolean(o.accessKeyId)) : undefined;
    return dropUndef({ mode: 'accessKey', accessKeyId: o.accessKeyId, secretAccessKey: secret });
  }
  return undefined;
}

/** Runs a mutation or test with streamed checks: progress on stderr, or silence with --json. */
async function withChecks<T>(
  out: Output,
  client: ApiClient,
  method: string,
  path: string,
  body: unknown,
  heading: string,
): Promise<T> {
  let announced = false;
  return (await client.stream(method, path, body, (line) => {
    if (out.json || line['type'] !== 'check') return;
    if (!announced) {
      out.err(heading);
      announced = true;
    }
    out.err(formatCheck(line['check'] as CheckLike));
  })) as T;
}

function printTestFailure(out: Output, err: unknown): never {
  const result = (err as { result?: TestResult }).result;
  if (out.json && result) {
    printJson(out, result);
  }
  throw err;
}

export function registerIntegration(program: Command): void {
  const integ = program
    .command('integration')
    .description('manage registry integrations (stored in the shared configuration repository)');
  const add = integ.command('add').description('add an integration');

  ecrOptions(add.command('ecr <name>'), false)
    .description('add an Amazon ECR integration (IAM role or access key), tested before it is committed')
    .action(async (name: string, o: EcrFlags, cmd: Command) => {
      const out = stdio(Boolean(o.json));
      if (!o.region)
        throw new InputError('--region is required (the AWS region of the registry, e.g. eu-west-1).');
      const body = dropUndef({
        name,
        type: 'registry.ecr',
        description: o.description,
        sharing: sharingFrom(o, true),
        ecr: dropUndef({ region: o.region, auth: await authForAdd(o), endpoints: endpointsFrom(o) }),
        skipTest: Boolean(o.skipTest),
        testRuntime: o.testRuntime,
      });
      const client = await clientFor(cmd);
      const res = await withChecks<{
        integration: IntegrationView;
        commit: string | null;
        test?: TestResult;
      }>(out, client, 'POST', '/api/v1/integrations', body, `Testing the connection of ${name}…`).catch(
        (err: unknown) => printTestFailure(out, err),
      );
      if (out.json) return printJson(out, res);
      out.out(
        `Integration ${name} committed in ${short(res.commit)}: ${res.integration.placements.map((p) => p.file).join(', ')}`,
      );
      printAvailability(out, res.integration);
    });

  ecrOptions(integ.command('edit <name>'), true)
    .description('change an integration; only the options given change; tested before it is committed')
    .action(async (name: string, o: EcrFlags, cmd: Command) => {
      const out = stdio(Boolean(o.json));
      const auth = await authForEdit(o);
      const endpoints = endpointsFrom(o);
      const ecr = dropUndef({ region: o.region, auth, endpoints });
      const body = dropUndef({
        description: o.description === '' ? null : o.description,
        sharing: sharingFrom(o, false),
        ecr: Object.keys(ecr).length ? ecr : undefined,
        skipTest: Boolean(o.skipTest),
        testRuntime: o.testRuntime,
      });
      const client = await clientFor(cmd);
      const res = await withChecks<{ integration: IntegrationView; commit: string | null }>(
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

  integ
    .command('list')
    .description('list integrations with where they are shared and whether each runtime can use them')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const out = stdio(Boolean(o.json));
      const { items } = await (
        await clientFor(cmd)
      ).request<{ items: IntegrationView[] }>('GET', '/api/v1/integrations');
      if (out.json) return printJson(out, items);
      if (items.length === 0)
        return out.out('No integrations yet. Add one with: imagetrail integration add ecr NAME --region R …');
      out.out(
        table([
          ['NAME', 'TYPE', 'MODE', 'SHARED WITH', 'AVAILABLE ON', 'LAST COMMIT'],
          ...items.map((i) => [
            i.name,
            i.type,
            i.ecr.mode,
            'allRuntimes' in i.sharing ? 'all runtimes' : i.sharing.runtimes.join(','),
            i.availability.map((a) => (a.available ? a.runtime : `!${a.runtime}`)).join(',') || '-',
            i.lastCommit ? `${i.lastCommit.sha.slice(0, 8)} ${i.lastCommit.time}` : '-',
          ]),
        ]),
      );
      if (items.some((i) => i.availability.some((a) => !a.available)))
        out.out('(!runtime: not available there; see `integration show NAME`)');
    });

  integ
    .command('show <name>')
    .description('show an integration (secrets are shown as set, never their value)')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { json?: boolean }, cmd: Command) => {
      const out = stdio(Boolean(o.json));
      const i = await (
        await clientFor(cmd)
      ).request<IntegrationView>('GET', `/api/v1/integrations/${encodeURIComponent(name)}`);
      if (out.json) return printJson(out, i);
      out.out(`Integration: ${i.name} (${i.type})`);
      if (i.description) out.out(`Description: ${i.description}`);
      for (const [k, v] of Object.entries(i.ecr)) {
        out.out(`  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
      }
      out.out(`Shared with: ${'allRuntimes' in i.sharing ? 'all runtimes' : i.sharing.runtimes.join(', ')}`);
      out.out(`Files: ${i.placements.map((p) => p.file).join(', ')}`);
      if (i.lastCommit)
        out.out(`Last commit: ${i.lastCommit.sha.slice(0, 12)} ${i.lastCommit.time} ${i.lastCommit.subject}`);
      printAvailability(out, i);
      for (const p of i.problems) out.out(`Problem: ${p.file} ${p.path}: ${p.message}`);
    });

  integ
    .command('test <name>')
    .description('test a stored integration on a runtime it is available on')
    .option('--runtime <name>', 'runtime to run the test on (default: the local runtime)')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, o: { runtime?: string; json?: boolean }, cmd: Command) => {
      const out = stdio(Boolean(o.json));
      const client = await clientFor(cmd);
      const q = o.runtime ? `?runtime=${encodeURIComponent(o.runtime)}` : '';
      const result = await withChecks<TestResult>(
        out,
        client,
        'POST',
        `/api/v1/integrations/${encodeURIComponent(name)}/test${q}`,
        {},
        `Testing ${name}…`,
      );
      if (out.json) printJson(out, result);
      else {
        if (result.identity) out.err(`Identity: ${result.identity.arn}`);
        out.err(
          result.ok
            ? `Connection test of ${name} passed on runtime ${result.runtime?.name ?? '?'}.`
            : `Connection test of ${name} FAILED.`,
        );
      }
      if (!result.ok) throw new ExitCode(EXIT.failed);
    });

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
      ).request<{ commit: string | null; removed: string[] }>(
        'DELETE',
        `/api/v1/integrations/${encodeURIComponent(name)}`,
        { confirm },
      );
      if (out.json) return printJson(out, res);
      out.out(`Integration ${name} deleted in ${short(res.commit)} (removed ${res.removed.join(', ')}).`);
    });
}

function printAvailability(out: Output, i: IntegrationView): void {
  for (const a of i.availability) {
    out.out(
      `  ${a.available ? '✔' : '✘'} runtime ${a.runtime}${a.available ? '' : ` — ${a.reason ?? 'unavailable'}`}`,
    );
  }
}

function dropUndef<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
