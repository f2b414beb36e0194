import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEcrIamScenario, startMoto, type EcrIamScenario, type MotoPeer } from '../peers/moto.js';
import { startRegistry, type RegistryPeer } from '../peers/registry.js';
import type { PushedImage } from '../peers/images.js';
import { addEcrKeyIntegration, api, cli, startImagetrail, type ServerHandle } from '../helpers/imagetrail.js';
import { bareRemote, git } from '../helpers/git.js';
import { EcrSeeder, HOST } from '../helpers/ecr-seed.js';
import { runCodefreshClient, type ClientRun } from '../helpers/codefresh-client.js';

// Issue 15: Codefresh's report-image client, unchanged (test/helpers/codefresh-client.ts reproduces its
// flow on the eventsource library it uses), pointed at imagetrail by CF_HOST or by CF_RUNTIME_NAME +
// CF_PLATFORM_URL, reports an image that is enriched from moto (ECR API, IAM enforced) + distribution.

const COMMIT = 'decaf'.padEnd(40, '7');
// Distinctive values of the credentials the client puts in the URL: none may reach a log, the store, the
// Git repository or an API answer.
const SECRETS = {
  CF_GITHUB_TOKEN: 'ghp_cfLeakCanary0123456789abcdefABCDEF',
  CF_JIRA_API_TOKEN: 'jira-cf-leak-canary-77aa99bb',
  CF_REGISTRY_PASSWORD: 'registry-cf-leak-canary-5150',
  CF_GOOGLE_JSON_KEY: '{"private_key":"cf-leak-canary-google"}',
  CF_GERRIT_PASSWORD: 'gerrit-cf-leak-canary-1234',
};
const DOCKERFILE = 'FROM alpine:3.20\nRUN echo "a & b + c %41" > /x\nCMD ["/x"]\n';

let moto: MotoPeer;
let registry: RegistryPeer;
let s: EcrIamScenario;
let remote: Awaited<ReturnType<typeof bareRemote>>;
let server: ServerHandle;
let token: string;
let image: PushedImage;
const answers: string[] = [];

function env(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    CF_API_KEY: token,
    CF_IMAGE: `${HOST}/team/app:v1`,
    CF_CONTAINER_REGISTRY_INTEGRATION: 'PROD_ECR',
    CF_GIT_PROVIDER: 'GitHub',
    CF_GIT_REPO: 'acme/app',
    CF_GIT_BRANCH: 'feature/PAY-9',
    CF_GIT_REVISION: COMMIT,
    CF_WORKFLOW_NAME: 'build & push',
    CF_WORKFLOW_URL: 'https://ci.example.test/acme/app/runs/42',
    CF_LOGS_URL: 'https://ci.example.test/acme/app/runs/42/logs',
    CF_CI_TYPE: 'github-actions',
    CF_JIRA_FAIL_ON_NOT_FOUND: 'off',
    CF_VERBOSE: 'true',
    CF_BUILD_ID: '42',
    NOT_CF: 'ignored by the client',
    ...SECRETS,
    ...extra,
  };
}

function imageIdOf(run: ClientRun): string {
  const end = run.events.find((e) => e.type === 'end');
  const m = /\(image ([^)]+)\)/.exec(end?.data ?? '');
  if (!m?.[1]) throw new Error(`no image id in ${JSON.stringify(run)}`);
  return m[1];
}

async function detail(id: string) {
  const r = await api(server, 'GET', `/api/v1/images/${id}`);
  answers.push(r.text);
  expect(r.status, r.text).toBe(200);
  return r.json;
}

beforeAll(async () => {
  [moto, registry, remote] = await Promise.all([startMoto(), startRegistry(), bareRemote()]);
  s = await createEcrIamScenario(moto);
  image = await new EcrSeeder(moto, registry).image('team/app', 'v1', { format: 'oci' });
  await moto.enableIamAuth();
  server = await startImagetrail({ configRepo: remote.url });
  const add = await addEcrKeyIntegration(server, 'prod-ecr', s.users.ro, [
    '--api-endpoint',
    moto.endpoint,
    '--sts-endpoint',
    moto.endpoint,
    '--registry-endpoint',
    registry.url,
  ]);
  expect(add.code, add.stderr).toBe(0);
  const tok = await cli(server, ['token', 'create', 'ci', '--scope', 'report', '--json']);
  token = JSON.parse(tok.stdout).token;
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await Promise.all([moto?.stop(), registry?.stop(), remote?.cleanup()]);
});

describe('the unchanged Codefresh client', () => {
  it('CF_HOST: reports over /app-proxy/api/image-report, exits 0, the image has Git revision, branch and CI links', async () => {
    const run = await runCodefreshClient(env({ CF_HOST: server.url }));
    expect(run.code, JSON.stringify(run.lines)).toBe(0);
    expect(new URL(run.url!).pathname).toBe('/app-proxy/api/image-report');
    const types = new Set(run.events.map((e) => e.type));
    for (const t of ['heartbeat', 'info', 'warn', 'workflow-log', 'end']) expect(types).toContain(t);
    expect(run.events.find((e) => e.type === 'heartbeat')?.data).toMatch(/^\d+$/);
    expect(
      run.lines.some((l) => l.level === 'workflow' && /^\[runtime\/local\] attempt 1/.test(l.text)),
    ).toBe(true);
    // Every credential is named in a warning, none is applied; the unknown variable is named too.
    const warns = run.events.filter((e) => e.type === 'warn').map((e) => e.data);
    for (const name of Object.keys(SECRETS)) expect(warns.join('\n')).toContain(`${name} is ignored`);
    expect(warns.join('\n')).toContain('CF_BUILD_ID is not used by imagetrail');
    expect(
      run.events.some((e) => e.type === 'info' && e.data.includes('"PROD_ECR" is looked up as "prod-ecr"')),
    ).toBe(true);

    const d = await detail(imageIdOf(run));
    expect(d.digest).toBe(image.digest);
    expect(d.builds[0]).toMatchObject({
      workflowName: 'build & push',
      workflowUrl: 'https://ci.example.test/acme/app/runs/42',
      logsUrl: 'https://ci.example.test/acme/app/runs/42/logs',
      ciType: 'github-actions',
      git: { provider: 'github', repo: 'acme/app', branch: 'feature/PAY-9', sha: COMMIT },
    });
  });

  it('CF_RUNTIME_NAME + CF_PLATFORM_URL: the GraphQL lookup, the compressed data= query, the Dockerfile kept', async () => {
    const run = await runCodefreshClient(
      env({
        CF_RUNTIME_NAME: 'local',
        CF_PLATFORM_URL: server.url,
        CF_JIRA_MESSAGE: 'PAY-9: a+b & c=d %41',
        CF_DOCKERFILE_CONTENT: Buffer.from(DOCKERFILE).toString('base64'),
      }),
    );
    expect(run.code, JSON.stringify(run.lines)).toBe(0);
    const url = new URL(run.url!);
    expect(url.pathname).toBe('/cf/runtimes/local/app-proxy/api/image-report');
    expect([...url.searchParams.keys()]).toEqual(['data']);
    const d = await detail(imageIdOf(run));
    const build = d.builds.find((b: { workflowUrl?: string }) => b.workflowUrl === env()['CF_WORKFLOW_URL']);
    expect(build).toMatchObject({ runtime: 'local', git: { sha: COMMIT, branch: 'feature/PAY-9' } });
    expect(build.dockerfile).toBe(DOCKERFILE);
  });

  it('CF_LOCAL: the same report over /api/image-report', async () => {
    const run = await runCodefreshClient(env({ CF_HOST: server.url, CF_LOCAL: 'true' }));
    expect(run.code, JSON.stringify(run.lines)).toBe(0);
    expect(new URL(run.url!).pathname).toBe('/api/image-report');
    expect((await detail(imageIdOf(run))).digest).toBe(image.digest);
  });

  it('a failed enrichment: exit 1 with the reason', async () => {
    const run = await runCodefreshClient(env({ CF_HOST: server.url, CF_IMAGE: `${HOST}/team/app:missing` }));
    expect(run.code).toBe(1);
    const last = run.lines.at(-1)!;
    expect(last.level).toBe('error');
    expect(last.text).toMatch(/failed: .*missing/);
    expect(run.events.at(-1)?.type).toBe('error');
  });

  it('a refused key, an unknown runtime, a bad value: exit 1, each with its reason', async () => {
    const bad = await runCodefreshClient(env({ CF_HOST: server.url, CF_API_KEY: 'not-a-token' }));
    expect(bad.code).toBe(1);
    expect(bad.lines.at(-1)!.text).toContain('AuthenticationError: The API token is not valid');

    const rt = await runCodefreshClient(env({ CF_RUNTIME_NAME: 'nope', CF_PLATFORM_URL: server.url }));
    expect(rt.code).toBe(1);
    expect(rt.lines.at(-1)!.text).toContain("runtime 'nope' does not exist");

    const provider = await runCodefreshClient(env({ CF_HOST: server.url, CF_GIT_PROVIDER: 'svn' }));
    expect(provider.code).toBe(1);
    expect(provider.lines.at(-1)!.text).toContain('InputError: CF_GIT_PROVIDER must be one of');
  });

  it('a runtime:local token (a runtime token) reports through the runtime it names', async () => {
    const tok = await cli(server, ['token', 'create', 'rt', '--scope', 'runtime:local', '--json']);
    const rtToken = JSON.parse(tok.stdout).token as string;
    const run = await runCodefreshClient(
      env({ CF_API_KEY: rtToken, CF_RUNTIME_NAME: 'local', CF_PLATFORM_URL: server.url }),
    );
    expect(run.code, JSON.stringify(run.lines)).toBe(0);
    const other = await runCodefreshClient(
      env({ CF_API_KEY: rtToken, CF_RUNTIME_NAME: 'staging', CF_PLATFORM_URL: server.url }),
    );
    expect(other.code).toBe(1);
    // graphql-request prints the GraphQL error body as JSON.
    expect(other.lines.at(-1)!.text).toContain('may not report images for runtime \\"staging\\"');
  });

  it('a client that drops the stream does not cancel the report', async () => {
    const run = await runCodefreshClient(
      env({ CF_HOST: server.url, CF_WORKFLOW_URL: 'https://ci.example.test/drop' }),
      {
        dropAfterEvents: 2,
      },
    );
    expect(run.code).toBe(1);
    const id = /Report (\S+) accepted/.exec(run.events[1]?.data ?? '')?.[1];
    expect(id).toBeTruthy();
    let status = '';
    for (let i = 0; i < 100 && status !== 'succeeded' && status !== 'failed'; i++) {
      const r = await api(server, 'GET', `/api/v1/image-reports/${id}`);
      answers.push(r.text);
      status = r.json.status;
      if (status !== 'succeeded') await new Promise((ok) => setTimeout(ok, 200));
    }
    expect(status).toBe('succeeded');
  });

  it('the endpoints are not the dashboard: without a token, a JSON 401 (or a GraphQL error), never HTML', async () => {
    const res = await fetch(`${server.url}/app-proxy/api/image-report?CF_IMAGE=x`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/json');
    const gql = await fetch(`${server.url}/2.0/api/graphql`, { method: 'POST', body: '{}' });
    expect(gql.status).toBe(401);
    expect(((await gql.json()) as { errors: unknown[] }).errors).toHaveLength(1);
  });

  it('the CLI: CF_HOST is the server, CF_API_KEY the token, Codefresh spellings accepted', async () => {
    const r = await cli(undefined, ['report-image', '--wait', '--json', '--no-local-git'], {
      env: env({
        CF_HOST: server.url,
        CF_JIRA_FAIL_ON_NOT_FOUND: 'on',
        CF_WORKFLOW_URL: 'https://ci.example.test/cli',
      }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('CF_HOST');
    const done = JSON.parse(r.stdout);
    const d = await detail(done.result.imageId);
    const build = d.builds.find(
      (b: { workflowUrl?: string }) => b.workflowUrl === 'https://ci.example.test/cli',
    );
    expect(build.git).toMatchObject({ sha: COMMIT, branch: 'feature/PAY-9', provider: 'github' });
  });
});

describe('credentials in the client URL', () => {
  function leaks(where: string, hay: Buffer | string): string[] {
    const b = typeof hay === 'string' ? Buffer.from(hay) : hay;
    return Object.entries(SECRETS)
      .filter(([, v]) => b.includes(Buffer.from(v)))
      .map(([k]) => `${k} in ${where}`);
  }

  it('reach no log line, no file of the data directory, no Git object and no API answer', async () => {
    const found: string[] = [];
    expect(server.logs()).toMatch(/listening/); // canary: the log is captured
    found.push(...leaks('server log', server.logs()));
    for (const a of answers) found.push(...leaks('API answer', a));
    const list = await api(server, 'GET', '/api/v1/images?limit=50');
    found.push(...leaks('image list', list.text));

    const files: string[] = [];
    const repos = [remote.path];
    const walk = async (dir: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) {
          if (e.name === '.git') repos.push(p);
          await walk(p);
        } else if (e.isFile()) files.push(p);
      }
    };
    await walk(server.dataDir);
    let all = Buffer.alloc(0);
    for (const f of files) {
      if ((await stat(f)).size > 64 * 1024 * 1024) continue;
      const bytes = await readFile(f);
      all = Buffer.concat([all, bytes]);
      found.push(...leaks(f.slice(server.dataDir.length), bytes));
    }
    // Canary: the database is read as bytes — the reported commit is in there.
    expect(all.includes(Buffer.from(COMMIT))).toBe(true);
    for (const repo of repos)
      found.push(...leaks(`git log of ${repo}`, await git(repo, 'log', '-p', '--all')));
    expect(found, found.join('\n')).toEqual([]);
  });
});
