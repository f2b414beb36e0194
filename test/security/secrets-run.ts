import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { createEcrIamScenario, startMoto, type EcrIamScenario, type MotoPeer } from '../peers/moto.js';
import { startRegistry, type RegistryPeer } from '../peers/registry.js';
import { startFakeGitHub, type FakeGitHub } from '../peers/fake-github.js';
import { startFakeJira, type FakeJira } from '../peers/fake-jira.js';
import { cli, startImagetrail, type CliResult, type ServerHandle } from '../helpers/imagetrail.js';
import { bareRemote } from '../helpers/git.js';
import { EcrSeeder, REGION } from '../helpers/ecr-seed.js';

// The set-up of secrets.test.ts: the distinctive secrets, the peers and the server they are used against,
// the capture of every output, the scan for secrets, and the CLI steps of the run.

const RUN = randomBytes(6).toString('hex');
export const MARK = 'SuperSecret';
export const GH_TOKEN = `ghp_${MARK}-gh-${RUN}`;
export const GH_TOKEN_2 = `ghp_${MARK}-gh2-${RUN}`;
export const JIRA_EMAIL = 'bot@acme.test';
export const JIRA_TOKEN = `${MARK}-jira-${RUN}`;
export const WRONG = {
  aws: `${MARK}-wrong-aws-${RUN}`,
  gh: `ghp_${MARK}-wrong-gh-${RUN}`,
  jira: `${MARK}-wrong-jira-${RUN}`,
};
export const COMMIT = 'c0ffee'.padEnd(40, '2');

/** Set by the set-up `useSecretsRun` registers (ES module bindings: importers see them). */
export let moto: MotoPeer;
export let registry: RegistryPeer;
export let github: FakeGitHub;
export let jira: FakeJira;
export let s: EcrIamScenario;
export let remote: Awaited<ReturnType<typeof bareRemote>>;
export let server: ServerHandle;

/** Everything captured during the run, by where it came from. */
export const captured: Array<{ where: string; text: string }> = [];
export const keep = (where: string, text: string) => captured.push({ where, text });

/** Every secret, and the forms it could travel in (Basic auth of Jira Cloud is base64(email:token)). */
function secrets(): Array<{ name: string; value: string }> {
  const list = [
    { name: 'ECR secret access key (moto)', value: s.users.ro.secretAccessKey },
    { name: 'GitHub token', value: GH_TOKEN },
    { name: 'rotated GitHub token', value: GH_TOKEN_2 },
    { name: 'Jira API token', value: JIRA_TOKEN },
    { name: 'wrong AWS secret', value: WRONG.aws },
    { name: 'wrong GitHub token', value: WRONG.gh },
    { name: 'wrong Jira token', value: WRONG.jira },
    { name: 'the marker', value: MARK },
  ];
  const derived = [JIRA_TOKEN, WRONG.jira].map((t) => ({
    name: `base64 Basic credentials of ${t.slice(0, 20)}…`,
    value: Buffer.from(`${JIRA_EMAIL}:${t}`).toString('base64'),
  }));
  return [...list, ...derived];
}

export function findLeaks(where: string, text: string | Buffer): string[] {
  const hay = typeof text === 'string' ? Buffer.from(text) : text;
  return secrets()
    .filter((sec) => hay.includes(Buffer.from(sec.value)))
    .map((sec) => `${sec.name} in ${where}`);
}

export async function apiCall(method: string, path: string, body?: unknown, accept?: string) {
  const headers: Record<string, string> = { authorization: `Bearer ${server.adminToken}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (accept) headers['accept'] = accept;
  const res = await fetch(server.url + path, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  keep(`API ${method} ${path} → ${res.status}`, text);
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

export async function run(args: string[], opts: Parameters<typeof cli>[2] = {}): Promise<CliResult> {
  const r = await cli(server, args, opts);
  keep(`CLI ${args.slice(0, 4).join(' ')} (exit ${r.code}) stdout`, r.stdout);
  keep(`CLI ${args.slice(0, 4).join(' ')} (exit ${r.code}) stderr`, r.stderr);
  return r;
}

function endpoints(): string[] {
  return [
    '--api-endpoint',
    moto.endpoint,
    '--sts-endpoint',
    moto.endpoint,
    '--registry-endpoint',
    registry.url,
  ];
}

/** Starts the peers and the server for the calling test file (beforeAll) and stops them afterwards (afterAll). */
export function useSecretsRun(): void {
  beforeAll(async () => {
    [moto, registry, remote] = await Promise.all([startMoto(), startRegistry(), bareRemote()]);
    s = await createEcrIamScenario(moto);
    await new EcrSeeder(moto, registry).image('team/app', 'v1', { format: 'oci' });
    github = await startFakeGitHub({
      token: GH_TOKEN_2,
      repos: {
        'acme/app': {
          commits: [
            {
              sha: COMMIT,
              message: 'PAY-7: speed up',
              author: { name: 'Dev', email: 'dev@acme.test', date: '2026-11-20T10:00:00Z', login: 'dev' },
            },
          ],
          pulls: [
            {
              number: 3,
              title: 'Speed up',
              state: 'open',
              user: 'dev',
              head: 'feature/PAY-7',
              base: 'main',
              commits: [COMMIT],
            },
          ],
        },
      },
    });
    jira = await startFakeJira({
      flavor: 'cloud',
      email: JIRA_EMAIL,
      apiToken: JIRA_TOKEN,
      issues: [{ key: 'PAY-7', summary: 'Slow', status: 'Done', statusCategory: 'done', assignee: 'Dana' }],
    });
    await moto.enableIamAuth();
    server = await startImagetrail({
      configRepo: remote.url,
      env: { IMAGETRAIL_REPORT_RETRY_BASE_MS: '100', IMAGETRAIL_REPORT_POLL_MS: '200' },
    });
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    await Promise.all([moto?.stop(), registry?.stop(), github?.stop(), jira?.stop(), remote?.cleanup()]);
  });
}

/**
 * The CLI steps of the run, as people use them — [argv, stdin, extra environment, expected exit code]: add,
 * test and edit every integration, some with wrong secrets on purpose, and read them back.
 */
export function cliSteps(): Array<
  [string[], string | undefined, Record<string, string> | undefined, number]
> {
  // The GitHub peer accepts GH_TOKEN_2 only: adding with GH_TOKEN fails its test, so skip it, then rotate.
  return [
    [
      [
        'integration',
        'add',
        'ecr',
        'ecr',
        '--region',
        REGION,
        '--access-key-id',
        s.users.ro.accessKeyId,
        '--secret-access-key-stdin',
        '--all-runtimes',
        ...endpoints(),
        '--json',
      ],
      s.users.ro.secretAccessKey,
      undefined,
      0,
    ],
    [
      [
        'integration',
        'add',
        'ecr',
        'ecr-bad',
        '--region',
        REGION,
        '--access-key-id',
        s.users.ro.accessKeyId,
        '--secret-access-key-stdin',
        '--all-runtimes',
        ...endpoints(),
      ],
      WRONG.aws,
      undefined,
      1,
    ],
    [
      [
        'integration',
        'add',
        'ecr',
        'ecr-env',
        '--region',
        REGION,
        '--access-key-id',
        s.users.ro.accessKeyId,
        '--all-runtimes',
        ...endpoints(),
        '--json',
      ],
      undefined,
      { AWS_SECRET_ACCESS_KEY: WRONG.aws },
      1,
    ],
    [
      [
        'integration',
        'add',
        'github',
        'gh',
        '--api-url',
        github.apiUrl,
        '--token-stdin',
        '--all-runtimes',
        '--skip-test',
      ],
      GH_TOKEN,
      undefined,
      0,
    ],
    [['integration', 'test', 'gh', '--json'], undefined, undefined, 1],
    [['integration', 'edit', 'gh', '--token-stdin'], GH_TOKEN_2, undefined, 0],
    [
      [
        'integration',
        'add',
        'github',
        'gh-bad',
        '--api-url',
        github.apiUrl,
        '--token-stdin',
        '--all-runtimes',
      ],
      WRONG.gh,
      undefined,
      1,
    ],
    [
      [
        'integration',
        'add',
        'jira',
        'jira',
        '--base-url',
        jira.baseUrl,
        '--email',
        JIRA_EMAIL,
        '--api-token-stdin',
        '--project-prefix',
        'PAY',
        '--all-runtimes',
        '--json',
      ],
      JIRA_TOKEN,
      undefined,
      0,
    ],
    [
      [
        'integration',
        'add',
        'jira',
        'jira-bad',
        '--base-url',
        jira.baseUrl,
        '--email',
        JIRA_EMAIL,
        '--api-token-stdin',
        '--all-runtimes',
        '--json',
      ],
      WRONG.jira,
      undefined,
      1,
    ],
    [
      [
        'integration',
        'add',
        'jira',
        'jira-env',
        '--base-url',
        jira.baseUrl,
        '--email',
        JIRA_EMAIL,
        '--all-runtimes',
      ],
      undefined,
      { JIRA_API_TOKEN: WRONG.jira },
      1,
    ],
    [['integration', 'test', 'ecr', '--json'], undefined, undefined, 0],
    [['integration', 'test', 'gh', '--json'], undefined, undefined, 0],
    [['integration', 'test', 'jira', '--json'], undefined, undefined, 0],
    [['integration', 'list', '--json'], undefined, undefined, 0],
    [['integration', 'show', 'ecr', '--json'], undefined, undefined, 0],
    [['integration', 'show', 'gh'], undefined, undefined, 0],
    [['integration', 'show', 'jira', '--json'], undefined, undefined, 0],
    [['config', 'status', '--json'], undefined, undefined, 0],
    // A secret pasted into argv is refused (exit 2) — and must not be echoed back in the message.
    [
      ['integration', 'add', 'github', 'gh-argv', '--token', WRONG.gh, '--all-runtimes'],
      undefined,
      undefined,
      2,
    ],
  ];
}
