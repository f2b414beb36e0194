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
  /** Absent from servers older than the GitHub and Jira types; `ecr.mode` then says it. */
  mode?: string;
  ecr?: Record<string, unknown> & { region: string; mode: string };
  github?: Record<string, unknown>;
  jira?: Record<string, unknown>;
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
  /** ECR: `{ arn, account }`; GitHub: `{ login }`; Jira: `{ displayName, accountId | name }`. */
  identity?: { arn?: string; account?: string; login?: string; displayName?: string; name?: string };
}

/** Options shared by every type's add and by edit. */
interface CommonFlags {
  allRuntimes?: boolean;
  runtime?: string[];
  skipTest?: boolean;
  testRuntime?: string;
  description?: string;
  json?: boolean;
}

interface GitHubFlags extends CommonFlags {
  apiUrl?: string;
  tokenStdin?: boolean;
}

interface JiraFlags extends CommonFlags {
  baseUrl?: string;
  email?: string;
  apiTokenStdin?: boolean;
  patStdin?: boolean;
  projectPrefix?: string;
  /** true: --fail-on-not-found; false: --no-fail-on-not-found (edit only); undefined: not given. */
  failOnNotFound?: boolean;
}

type EditFlags = EcrFlags & GitHubFlags & JiraFlags;

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

function commonOptions(cmd: Command, forEdit: boolean): Command {
  return cmd
    .option('--all-runtimes', 'share with all runtimes')
    .option('--runtime <names...>', 'share with these runtimes only (repeat or comma-separate)', collect)
    .option('--skip-test', 'commit without testing the connection first')
    .option('--test-runtime <name>', 'run the connection test on this runtime')
    .option('--description <text>', forEdit ? 'new description ("" to clear)' : 'free text')
    .option('--json', 'print JSON');
}

function ecrOptions(cmd: Command): Command {
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
    .option('--api-endpoint <url>', 'ECR API endpoint override (VPC endpoint, test server)')
    .option('--sts-endpoint <url>', 'STS endpoint override')
    .option('--registry-endpoint <url>', 'registry (/v2/) endpoint override');
}

function githubOptions(cmd: Command, forEdit: boolean): Command {
  return cmd
    .option(
      '--api-url <url>',
      forEdit
        ? 'GitHub API URL ("" for https://api.github.com)'
        : 'GitHub API URL (default https://api.github.com; GitHub Enterprise Server: https://HOST/api/v3)',
    )
    .option(
      '--token-stdin',
      forEdit
        ? 'read a new GitHub token from standard input (without it the stored token is kept)'
        : 'read the GitHub token from standard input (else env GITHUB_TOKEN)',
    );
}

function jiraOptions(cmd: Command, forEdit: boolean): Command {
  cmd
    .option(
      '--base-url <url>',
      'Jira site: https://SITE.atlassian.net, or the Server/DC URL with its context path',
    )
    .option('--email <email>', 'Jira Cloud: the Atlassian account email the API token belongs to')
    .option(
      '--api-token-stdin',
      'Jira Cloud: read the API token from standard input' + (forEdit ? '' : ' (else env JIRA_API_TOKEN)'),
    )
    .option(
      '--pat-stdin',
      'Jira Server/Data Center: read the personal access token from standard input' +
        (forEdit ? '' : ' (else env JIRA_PAT)'),
    )
    .option(
      '--project-prefix <prefixes>',
      forEdit
        ? 'default project keys (PROJ,OPS) or /regex/ for CI reports ("" to clear)'
        : 'default project keys (PROJ,OPS) or /regex/ for CI reports',
    )
    .option('--fail-on-not-found', 'by default, fail a report that names an issue Jira does not have');
  if (forEdit) cmd.option('--no-fail-on-not-found', 'by default, record a report without missing issues');
  return cmd;
}

async function readStdin(prompt = 'Secret access key'): Promise<string> {
  if (process.stdin.isTTY) {
    process.stderr.write(`${prompt}: `);
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

/**
 * A secret from standard input (when its flag is given) or from an environment variable: never from argv,
 * where every user of the machine can read it.
 */
async function secretFromStdinOrEnv(
  stdinFlag: boolean | undefined,
  envName: string | undefined,
  what: string,
  flag: string,
): Promise<string | undefined> {
  if (stdinFlag) {
    const s = (await readStdin(what)).trim();
    if (!s)
      throw new InputError(`No ${what} on standard input.`, {
        hints: [`printf '%s' "$SECRET" | imagetrail integration … ${flag}`],
      });
    return s;
  }
  const env = envName ? process.env[envName] : undefined;
  return env ? env.trim() : undefined;
}

async function githubFrom(o: GitHubFlags, forEdit: boolean): Promise<Record<string, unknown> | undefined> {
  // Edit rotates the token only when asked: a GITHUB_TOKEN that happens to be set must not replace it.
  const token = await secretFromStdinOrEnv(
    o.tokenStdin,
    forEdit ? undefined : 'GITHUB_TOKEN',
    'GitHub token',
    '--token-stdin',
  );
  if (!forEdit && !token) {
    throw new InputError('A GitHub integration needs a token.', {
      hints: ['Pipe it in with --token-stdin, or set GITHUB_TOKEN. It is never accepted as an argument.'],
    });
  }
  const section = dropUndef({
    apiUrl: forEdit && o.apiUrl === '' ? null : o.apiUrl,
    token,
  });
  return Object.keys(section).length ? section : undefined;
}

async function jiraAuthFrom(o: JiraFlags, forEdit: boolean): Promise<Record<string, unknown> | undefined> {
  if (o.patStdin && (o.email || o.apiTokenStdin)) {
    throw new InputError(
      'Use either --email with --api-token-stdin (Jira Cloud) or --pat-stdin (Jira Server/Data Center), not both.',
    );
  }
  if (o.email || o.apiTokenStdin) {
    const apiToken = await secretFromStdinOrEnv(
      o.apiTokenStdin,
      forEdit ? undefined : 'JIRA_API_TOKEN',
      'Jira API token',
      '--api-token-stdin',
    );
    if (!forEdit && !apiToken) {
      throw new InputError('Jira Cloud needs an API token.', {
        hints: [
          'Pipe it in with --api-token-stdin, or set JIRA_API_TOKEN. It is never accepted as an argument.',
        ],
      });
    }
    if (!forEdit && !o.email) throw new InputError('Jira Cloud needs the account email: --email E.');
    return dropUndef({ kind: 'cloud', email: o.email, apiToken });
  }
  const pat = await secretFromStdinOrEnv(
    o.patStdin,
    forEdit ? undefined : 'JIRA_PAT',
    'Jira personal access token',
    '--pat-stdin',
  );
  if (pat) return { kind: 'server', pat };
  if (forEdit) return undefined;
  throw new InputError(
    'Choose how to authenticate: --email E --api-token-stdin (Jira Cloud) or --pat-stdin (Jira Server/Data Center).',
    { hints: ['The secret may also come from env JIRA_API_TOKEN (with --email) or JIRA_PAT.'] },
  );
}

async function jiraFrom(o: JiraFlags, forEdit: boolean): Promise<Record<string, unknown> | undefined> {
  if (!forEdit && !o.baseUrl)
    throw new InputError('--base-url is required (https://SITE.atlassian.net, or your Jira Server URL).');
  const section = dropUndef({
    baseUrl: o.baseUrl,
    auth: await jiraAuthFrom(o, forEdit),
    projectPrefixes: forEdit && o.projectPrefix === '' ? null : o.projectPrefix,
    failOnNotFound: o.failOnNotFound,
  });
  return Object.keys(section).length ? section : undefined;
}

function sharingFrom(
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
    .description(
      'manage integrations: ECR registries, GitHub, Jira (stored in the shared configuration repository)',
    );
  const add = integ.command('add').description('add an integration');

  commonOptions(ecrOptions(add.command('ecr <name>')), false)
    .description('add an Amazon ECR integration (IAM role or access key), tested before it is committed')
    .action(async (name: string, o: EcrFlags & CommonFlags, cmd: Command) => {
      if (!o.region)
        throw new InputError('--region is required (the AWS region of the registry, e.g. eu-west-1).');
      const ecr = dropUndef({ region: o.region, auth: await authForAdd(o), endpoints: endpointsFrom(o) });
      await addIntegration(cmd, name, o, 'registry.ecr', { ecr });
    });

  commonOptions(githubOptions(add.command('github <name>'), false), false)
    .description('add a GitHub integration (pull requests of commits), tested before it is committed')
    .action(async (name: string, o: GitHubFlags, cmd: Command) => {
      sharingFrom(o, true); // usage errors before reading a secret from stdin
      await addIntegration(cmd, name, o, 'git.github', { github: await githubFrom(o, false) });
    });

  commonOptions(jiraOptions(add.command('jira <name>'), false), false)
    .description('add a Jira integration (issues named in commits), tested before it is committed')
    .action(async (name: string, o: JiraFlags, cmd: Command) => {
      sharingFrom(o, true);
      await addIntegration(cmd, name, o, 'issue.jira', { jira: await jiraFrom(o, false) });
    });

  commonOptions(jiraOptions(githubOptions(ecrOptions(integ.command('edit <name>')), true), true), true)
    .description(
      'change an integration; only the options given change (an omitted secret keeps the stored one); tested before it is committed',
    )
    .action(async (name: string, o: EditFlags, cmd: Command) => {
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
        return out.out(
          'No integrations yet. Add one with: imagetrail integration add ecr|github|jira NAME … (see --help)',
        );
      out.out(
        table([
          ['NAME', 'TYPE', 'MODE', 'SHARED WITH', 'AVAILABLE ON', 'LAST COMMIT'],
          ...items.map((i) => [
            i.name,
            i.type,
            i.mode ?? i.ecr?.mode ?? '-',
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
      // The type's settings sit under its section key; secrets are only ever `{"set":true}` here.
      for (const section of [i.ecr, i.github, i.jira]) {
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
}

/**
 * Edit takes every type's options; those given say which section changes, and the server refuses a
 * section that does not match the integration's type. Options of two types at once are a usage error.
 */
async function editSections(o: EditFlags): Promise<Record<string, unknown>> {
  const ecrGiven = [
    o.region,
    o.accessKeyId,
    o.secretAccessKeyStdin,
    o.roleArn,
    o.externalId,
    o.sessionName,
    o.durationSeconds,
    o.apiEndpoint,
    o.stsEndpoint,
    o.registryEndpoint,
  ].some((v) => v !== undefined);
  const githubGiven = o.apiUrl !== undefined || o.tokenStdin !== undefined;
  const jiraGiven = [o.baseUrl, o.email, o.apiTokenStdin, o.patStdin, o.projectPrefix, o.failOnNotFound].some(
    (v) => v !== undefined,
  );
  if ([ecrGiven, githubGiven, jiraGiven].filter(Boolean).length > 1) {
    throw new InputError(
      "These options belong to different integration types (ECR, GitHub, Jira); give one type's options.",
    );
  }
  if (ecrGiven) {
    const ecr = dropUndef({ region: o.region, auth: await authForEdit(o), endpoints: endpointsFrom(o) });
    return Object.keys(ecr).length ? { ecr } : {};
  }
  if (githubGiven) {
    const github = await githubFrom(o, true);
    return github ? { github } : {};
  }
  if (jiraGiven) {
    const jira = await jiraFrom(o, true);
    return jira ? { jira } : {};
  }
  return {};
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
