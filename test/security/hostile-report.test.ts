import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEcrIamScenario, startMoto, type EcrIamScenario, type MotoPeer } from '../peers/moto.js';
import { startRegistry, type RegistryPeer } from '../peers/registry.js';
import { startFakeJira, type FakeJira } from '../peers/fake-jira.js';
import { addEcrKeyIntegration, api, cli, startImagetrail, type ServerHandle } from '../helpers/imagetrail.js';
import { bareRemote } from '../helpers/git.js';
import { EcrSeeder, HOST } from '../helpers/ecr-seed.js';

// Issue 8, findings 3 and 5, as a CI token's reports. Finding 3 (high): `CF_JIRA_PROJECT_PREFIX` of
// `/^(a+)+$/` with a short message ran on the event loop the HTTP server shares, so the API and /healthz
// stopped, and the durable report was claimed again after every restart. Finding 5: one report with 6,000
// Jira keys made 6,001 Jira requests with the integration's credentials.

const JIRA_TOKEN = 'jira-api-token-hostile-report';
let moto: MotoPeer;
let registry: RegistryPeer;
let s: EcrIamScenario;
let remote: Awaited<ReturnType<typeof bareRemote>>;
let jira: FakeJira;
let server: ServerHandle;
let dataDir: string;
let ciToken: string;

const ENV = { IMAGETRAIL_REPORT_RETRY_BASE_MS: '100', IMAGETRAIL_REPORT_POLL_MS: '200' };

async function healthy(): Promise<boolean> {
  // Generous: the point is that it answers at all while the report runs (it never did on the old code).
  const res = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(5000) });
  return res.ok;
}

async function postReport(issues: Record<string, unknown>) {
  const r = await api(
    server,
    'POST',
    '/api/v1/image-reports',
    { image: `${HOST}/team/app:v1`, registryIntegration: 'ecr', issues: { integration: 'jira', ...issues } },
    ciToken,
  );
  expect(r.status, r.text).toBe(202);
  return r.json.id as string;
}

/** Polls the report, checking /healthz answers on every round, until it has ended. */
async function untilEnded(id: string) {
  for (let i = 0; i < 600; i++) {
    expect(await healthy()).toBe(true);
    const r = await api(server, 'GET', `/api/v1/image-reports/${id}`, undefined, ciToken);
    if (r.json.status === 'succeeded' || r.json.status === 'failed') return r.json;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`report ${id} did not end`);
}

beforeAll(async () => {
  [moto, registry, remote] = await Promise.all([startMoto(), startRegistry(), bareRemote()]);
  s = await createEcrIamScenario(moto);
  await new EcrSeeder(moto, registry).image('team/app', 'v1', { format: 'oci' });
  jira = await startFakeJira({
    flavor: 'cloud',
    email: 'bot@acme.test',
    apiToken: JIRA_TOKEN,
    issues: [
      { key: 'PAY-1', summary: 'One', status: 'Done', statusCategory: 'done' },
      { key: 'PAY-2', summary: 'Two', status: 'Done', statusCategory: 'done' },
    ],
  });
  await moto.enableIamAuth();
  dataDir = await mkdtemp(join(tmpdir(), 'imagetrail-hostile-report-'));
  server = await startImagetrail({ configRepo: remote.url, dataDir, env: ENV });
  const endpoints = [
    '--api-endpoint',
    moto.endpoint,
    '--sts-endpoint',
    moto.endpoint,
    '--registry-endpoint',
    registry.url,
  ];
  const ecr = await addEcrKeyIntegration(server, 'ecr', s.users.ro, endpoints);
  expect(ecr.code, ecr.stderr).toBe(0);
  const jr = await cli(
    server,
    [
      'integration',
      'add',
      'jira',
      'jira',
      '--base-url',
      jira.baseUrl,
      '--email',
      'bot@acme.test',
      '--api-token-stdin',
      '--all-runtimes',
    ],
    { stdin: JIRA_TOKEN },
  );
  expect(jr.code, jr.stderr).toBe(0);
  const tok = await api(server, 'POST', '/api/v1/tokens', { name: 'ci', scopes: ['report'] });
  ciToken = tok.json.token;
}, 180_000);

afterAll(async () => {
  await server?.stop();
  await Promise.all([moto?.stop(), registry?.stop(), remote?.cleanup(), jira?.stop()]);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('a CI token cannot stall the server with a Jira key pattern', () => {
  const ids: Record<string, string> = {};

  it('with a catastrophic pattern running, /healthz answers, and the report ends', async () => {
    expect(await healthy()).toBe(true);
    ids.catastrophic = await postReport({ projectPrefix: '/^(a+)+$/', message: 'a'.repeat(48) + '!' });
    const done = await untilEnded(ids.catastrophic);
    expect(done.status).toBe('succeeded');
    expect(done.attempts).toBe(1);
    expect(JSON.stringify(done.steps)).toContain('no issue keys found');
  });

  it('a pattern the linear engine cannot run fails the report with its reason, once, not retried', async () => {
    ids.backref = await postReport({ projectPrefix: '/(a+)+\\1$/', message: 'a'.repeat(48) + '!' });
    const done = await untilEnded(ids.backref);
    expect(done.status).toBe('failed');
    expect(done.attempts).toBe(1);
    expect(done.error.message).toMatch(/RE2/);
  });

  it('after a restart, /healthz answers and neither report is claimed again', async () => {
    await server.stop();
    server = await startImagetrail({ configRepo: remote.url, dataDir, env: ENV });
    expect(await healthy()).toBe(true);
    // A few poll intervals (200 ms) for a runner that would re-claim them.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await healthy()).toBe(true);
    for (const [id, status] of [
      [ids.catastrophic, 'succeeded'],
      [ids.backref, 'failed'],
    ] as const) {
      const r = await api(server, 'GET', `/api/v1/image-reports/${id}`, undefined, ciToken);
      expect(r.json).toMatchObject({ status, attempts: 1 });
    }
  }, 60_000);
});

describe('a CI token cannot fan out Jira requests', () => {
  it('6,000 issue keys in one report: one JQL search for the first 50, and the cap is recorded', async () => {
    const before = jira.requests.length;
    const keys = Array.from({ length: 6000 }, (_, i) => `PAY-${i + 1}`).join(' ');
    const id = await postReport({ projectPrefix: 'PAY', message: keys });
    const done = await untilEnded(id);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    const made = jira.requests.slice(before);
    // Default cap 50, batch 50: ceil(50 / 50) = 1 search, and no per-key lookups.
    expect(made).toHaveLength(1);
    expect(made[0]?.url).toMatch(/\/rest\/api\/3\/search\/jql\?jql=key\+in\+%28PAY-1%2CPAY-2%2C/);
    const capped = (done.steps as Array<{ name: string; message?: string }>).find(
      (st) => st.name === 'issue-keys',
    );
    expect(capped?.message).toMatch(/found 6000 issue keys; looked up the first 50/);
    const issues = (done.steps as Array<{ name: string; message?: string }>).find(
      (st) => st.name === 'issues',
    );
    expect(issues?.message).toContain('PAY-1');
  });
});
