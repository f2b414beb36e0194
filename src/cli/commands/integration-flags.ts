import type { Command } from 'commander';
import { InputError } from '../../domain/errors.js';
import type { CliSpec } from '../../integrations/types/definition.js';
import { gitGithubDefinition } from '../../integrations/types/git-github/definition.js';
import { issueJiraDefinition } from '../../integrations/types/issue-jira/definition.js';
import { registryEcrDefinition } from '../../integrations/types/registry-ecr/definition.js';
import { collect } from './common.js';

// The flags of `integration add|edit` and the request sections built from them (secrets from stdin or the
// environment, never argv). The commands themselves are in integration.ts.

/** Options shared by every type's add and by edit. */
export interface CommonFlags {
  allRuntimes?: boolean;
  runtime?: string[];
  skipTest?: boolean;
  testRuntime?: string;
  description?: string;
  json?: boolean;
}

export interface GitHubFlags extends CommonFlags {
  apiUrl?: string;
  tokenStdin?: boolean;
}

export interface JiraFlags extends CommonFlags {
  baseUrl?: string;
  email?: string;
  apiTokenStdin?: boolean;
  patStdin?: boolean;
  projectPrefix?: string;
  /** true: --fail-on-not-found; false: --no-fail-on-not-found (edit only); undefined: not given. */
  failOnNotFound?: boolean;
}

export type EditFlags = EcrFlags & GitHubFlags & JiraFlags;

export interface EcrFlags {
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

/** commander's option key of a flag: `--secret-access-key-stdin` → `secretAccessKeyStdin`. */
function optionKey(flag: string): string {
  const long = (flag.split(/[ ,]/).find((w) => w.startsWith('--')) ?? flag).replace(/^--(no-)?/, '');
  return long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Whether any option of a type was given. */
function given(o: object, cli: CliSpec): boolean {
  return cli.flags.some((f) => (o as Record<string, unknown>)[optionKey(f.flag)] !== undefined);
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

export async function githubFrom(
  o: GitHubFlags,
  forEdit: boolean,
): Promise<Record<string, unknown> | undefined> {
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

export async function jiraFrom(o: JiraFlags, forEdit: boolean): Promise<Record<string, unknown> | undefined> {
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

export function endpointsFrom(o: EcrFlags): Record<string, string> | undefined {
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

export async function authForAdd(o: EcrFlags): Promise<Record<string, unknown>> {
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

/**
 * Edit takes every type's options; those given say which section changes, and the server refuses a
 * section that does not match the integration's type. Options of two types at once are a usage error.
 */
export async function editSections(o: EditFlags): Promise<Record<string, unknown>> {
  const ecrGiven = given(o, registryEcrDefinition.cli);
  const githubGiven = given(o, gitGithubDefinition.cli);
  const jiraGiven = given(o, issueJiraDefinition.cli);
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

export function dropUndef<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
