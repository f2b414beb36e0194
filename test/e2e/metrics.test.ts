import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { createEcrIamScenario, startMoto, type EcrIamScenario, type MotoPeer } from '../peers/moto.js';
import { startRegistry, type RegistryPeer } from '../peers/registry.js';
import { startFakeGitHub, type FakeGitHub } from '../peers/fake-github.js';
import {
  addEcrKeyIntegration,
  cli,
  startImagetrail,
  type ServerHandle,
  reportImageArgs,
} from '../helpers/imagetrail.js';
import { bareRemote } from '../helpers/git.js';
import { EcrSeeder, HOST } from '../helpers/ecr-seed.js';
import { parsePrometheusText, sumOf, valueOf, type Family } from '../helpers/prom-text.js';

// Issue 14 (a): a running server's /metrics, scraped as Prometheus would, moves with real reports: CI
// reports through the CLI, the runner enriches from moto (ECR API, IAM enforced) and distribution, the
// Git facts come from a GitHub stand-in, and the shared configuration lives in a Git remote.

const COMMIT = 'feed'.padEnd(40, '2');
const GH_TOKEN = 'ghp_metricsTest0123456789abcdef';

let moto: MotoPeer;
let registry: RegistryPeer;
let s: EcrIamScenario;
let remote: Awaited<ReturnType<typeof bareRemote>>;
let github: FakeGitHub;
let server: ServerHandle;
let reportToken: string;
let metricsToken: string;

async function scrape(token = metricsToken): Promise<{ text: string; families: Map<string, Family> }> {
  const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  // The npm reader and the strict one (which throws on any violation of the exposition format).
  expect(parsePrometheusTextFormat(text).map((f) => f.name)).toContain('imagetrail_reports_accepted_total');
  return { text, families: parsePrometheusText(text) };
}

function report(image: string, extra: string[] = []) {
  return cli(server, [...reportImageArgs(image), ...extra], { token: reportToken });
}

beforeAll(async () => {
  [moto, registry, remote] = await Promise.all([startMoto(), startRegistry(), bareRemote()]);
  s = await createEcrIamScenario(moto);
  await new EcrSeeder(moto, registry).image('team/app', '1.0', { format: 'oci' });
  github = await startFakeGitHub({
    token: GH_TOKEN,
    repos: {
      'acme/app': {
        commits: [
          {
            sha: COMMIT,
            message: 'speed up',
            author: { name: 'Dev', email: 'dev@acme.test', date: '2026-11-20T10:00:00Z', login: 'dev' },
          },
        ],
        pulls: [],
      },
    },
  });
  await moto.enableIamAuth();
  server = await startImagetrail({ configRepo: remote.url });
  const endpoints = [
    '--api-endpoint',
    moto.endpoint,
    '--sts-endpoint',
    moto.endpoint,
    '--registry-endpoint',
    registry.url,
  ];
  const add = await addEcrKeyIntegration(server, 'ecr', s.users.ro, endpoints);
  expect(add.code, add.stderr).toBe(0);
  const gh = await cli(
    server,
    ['integration', 'add', 'github', 'gh', '--api-url', github.apiUrl, '--token-stdin', '--all-runtimes'],
    { stdin: GH_TOKEN },
  );
  expect(gh.code, gh.stderr).toBe(0);
  const token = async (scope: string) =>
    JSON.parse((await cli(server, ['token', 'create', scope, '--scope', scope, '--json'])).stdout)
      .token as string;
  reportToken = await token('report');
  metricsToken = await token('metrics');
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await Promise.all([moto?.stop(), registry?.stop(), remote?.cleanup(), github?.stop()]);
});

describe('GET /metrics on a running server', () => {
  it('is refused without a token and to a token without the metrics scope', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${reportToken}` } });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toContain('application/json');
  });

  it('moves with reports: accepted, succeeded, failed by reason class, steps, remote calls, token cache', async () => {
    const before = (await scrape()).families;
    const accepted0 = sumOf(before, 'imagetrail_reports_accepted_total', { runtime: 'local' });

    const ok = await report(`${HOST}/team/app:1.0`, [
      '--git-repo',
      'https://github.com/acme/app.git',
      '--git-sha',
      COMMIT,
      '--git-integration',
      'gh',
    ]);
    expect(ok.code, ok.stderr + ok.stdout).toBe(0);
    const again = await report(`${HOST}/team/app:1.0`);
    expect(again.code, again.stderr + again.stdout).toBe(0);
    const missing = await report(`${HOST}/team/app:nope`);
    expect(missing.code).toBe(1);
    const failure = JSON.parse(missing.stdout) as { status: string; error: { errorClass: string } };
    expect(failure.status).toBe('failed');

    const { text, families: m } = await scrape();
    expect(sumOf(m, 'imagetrail_reports_accepted_total', { runtime: 'local' }) - accepted0).toBe(3);
    const runs = 'imagetrail_report_runs_total';
    expect(valueOf(m, runs, { runtime: 'local', outcome: 'succeeded', reason_class: 'none' })).toBe(2);
    expect(
      valueOf(m, runs, { runtime: 'local', outcome: 'failed', reason_class: failure.error.errorClass }),
    ).toBe(1);
    // Every step of the runs was timed; "recorded" ends each successful run.
    expect(valueOf(m, 'imagetrail_enrichment_step_duration_seconds_count', { step: 'recorded' })).toBe(2);
    expect(sumOf(m, 'imagetrail_enrichment_step_duration_seconds_count')).toBeGreaterThan(4);

    const calls = 'imagetrail_remote_calls_total';
    expect(sumOf(m, calls, { service: 'ecr', outcome: 'ok' })).toBeGreaterThan(0);
    expect(sumOf(m, calls, { service: 'ecr', operation: 'GetAuthorizationTokenCommand' })).toBeGreaterThan(0);
    expect(sumOf(m, calls, { service: 'registry', operation: 'GET:blobs' })).toBeGreaterThan(0);
    expect(sumOf(m, calls, { service: 'github', operation: 'commit-pulls', outcome: '2xx' })).toBe(1);
    expect(sumOf(m, calls, { service: 'git', operation: 'push', outcome: 'ok' })).toBeGreaterThan(0);
    expect(sumOf(m, 'imagetrail_remote_call_duration_seconds_count', { service: 'registry' })).toBe(
      sumOf(m, calls, { service: 'registry' }),
    );
    // Later registry requests reused the ECR authorization token the first one fetched (or was fetching).
    expect(sumOf(m, 'imagetrail_token_cache_requests_total', { result: 'miss' })).toBeGreaterThan(0);
    expect(sumOf(m, 'imagetrail_token_cache_requests_total', { result: 'hit' })).toBeGreaterThan(0);

    // Nothing waits; the runtime's series is there (0), so an alert on it can be evaluated.
    expect(valueOf(m, 'imagetrail_report_queue_depth', { runtime: 'local' })).toBe(0);
    expect(valueOf(m, 'imagetrail_config_sync_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(valueOf(m, 'imagetrail_config_sync_errors_total')).toBe(0);
    const http = 'imagetrail_http_request_duration_seconds_count';
    expect(valueOf(m, http, { method: 'POST', route: '/api/v1/image-reports', status_class: '2xx' })).toBe(3);
    expect(sumOf(m, http, { route: '/api/v1/image-reports/:id' })).toBeGreaterThan(0);

    // No image name, repository, digest, commit, token or secret in any label or value.
    for (const needle of ['team/app', HOST, COMMIT, GH_TOKEN, reportToken, metricsToken, server.adminToken])
      expect(text).not.toContain(needle);
    expect(text).not.toContain(s.users.ro.secretAccessKey);
    expect(text).not.toContain(s.users.ro.accessKeyId);
  });

  it('has a queue series for every runtime, 0 while nothing waits, from the shared configuration', async () => {
    const add = await cli(server, [
      'runtime',
      'add',
      'edge',
      '--type',
      'hybrid',
      '--version',
      '0.1.0',
      '--json',
    ]);
    expect(add.code, add.stderr + add.stdout).toBe(0);
    const { families } = await scrape();
    expect(valueOf(families, 'imagetrail_report_queue_depth', { runtime: 'edge' })).toBe(0);
    expect(valueOf(families, 'imagetrail_report_queue_depth', { runtime: 'local' })).toBe(0);
  });
});
