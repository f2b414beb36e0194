import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, startImagetrail, type ServerHandle } from '../helpers/imagetrail.js';
import { bareRemote } from '../helpers/git.js';
import { HOST, REGION } from '../helpers/ecr-seed.js';
import { startFaultProxy, type Fault, type FaultProxy } from '../peers/fault-proxy.js';
import {
  mapLimit,
  postReport,
  prng,
  startEcrWorld,
  waitAllTerminal,
  type EcrWorld,
} from './helpers/common.js';

// Fault proxies in front of all three upstreams of an IAM-role ECR integration: the ECR API (moto, via
// --api-endpoint), STS (moto, via --sts-endpoint; the role is assumed from the server's ambient user) and
// the registry data plane (distribution, via --registry-endpoint). Each proxy first serves one of every
// fault kind, then injects faults at random (seeded PRNG) into a share of requests: ThrottlingException
// (HTTP 400 JSON), 429, 5xx, hangs longer than IMAGETRAIL_AWS_TIMEOUT_MS, and dropped connections.
// 60 reports → every one ends (bounded), a failure carries its recorded reason, and most succeed after
// retries. A report through a proxy that ALWAYS fails ends failed after max attempts, with a clear reason.

const REPORTS = 60;
const IMAGES = 12;
const FAULT_RATE = 0.25;
const SEED = Number(process.env['IMAGETRAIL_FAULT_SEED'] ?? 20_260_101);
const MAX_REPORT_ATTEMPTS = 5; // DEFAULT_MAX_ATTEMPTS of the report store
const AWS_TIMEOUT_MS = 1500;

const SERVER_ENV = {
  IMAGETRAIL_REPORT_LEASE_MS: '20000',
  IMAGETRAIL_REPORT_POLL_MS: '200',
  IMAGETRAIL_REPORT_RETRY_BASE_MS: '100',
  IMAGETRAIL_REPORT_CONCURRENCY: '8',
  IMAGETRAIL_AWS_TIMEOUT_MS: String(AWS_TIMEOUT_MS),
  IMAGETRAIL_AWS_MAX_ATTEMPTS: '3',
};

const throttle: Fault = {
  kind: 'status',
  status: 400,
  body: '{"__type":"ThrottlingException","message":"Rate exceeded"}',
  contentType: 'application/x-amz-json-1.1',
};
// STS speaks the query protocol: its throttling answer is XML.
const stsThrottle: Fault = {
  kind: 'status',
  status: 400,
  body: '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>x</RequestId></ErrorResponse>',
  contentType: 'text/xml',
};
const tooMany: Fault = { kind: 'status', status: 429, retryAfter: '0' };
const e500: Fault = {
  kind: 'status',
  status: 500,
  body: '{"__type":"InternalFailure"}',
  contentType: 'application/x-amz-json-1.1',
};
const e503: Fault = { kind: 'status', status: 503 };
const hang: Fault = { kind: 'hang' };
const drop: Fault = { kind: 'drop' };

let world: EcrWorld;
let remote: Awaited<ReturnType<typeof bareRemote>>;
let server: ServerHandle;
const proxies: Record<'ecr' | 'sts' | 'registry' | 'dead', FaultProxy> = {} as never;

/** One of every kind first (so each kind is exercised whatever the PRNG does), then random faults at `rate`. */
function chaos(p: FaultProxy, kinds: Fault[], seed: number): void {
  const rnd = prng(seed);
  p.inject([...kinds]);
  p.inject(
    Array.from({ length: 100_000 }, () => kinds[Math.floor(rnd() * kinds.length)]!),
    () => rnd() < FAULT_RATE,
  );
}

beforeAll(async () => {
  [world, remote] = await Promise.all([
    startEcrWorld({ count: IMAGES, repositories: ['fault/px'] }),
    bareRemote(),
  ]);
  proxies.ecr = await startFaultProxy(world.moto.endpoint);
  proxies.sts = await startFaultProxy(world.moto.endpoint);
  proxies.registry = await startFaultProxy(world.registry.url);
  proxies.dead = await startFaultProxy(world.moto.endpoint);
  const chain = world.iam.users.chain;
  server = await startImagetrail({
    configRepo: remote.url,
    // The ambient identity the role is chained from (DESIGN rule 4).
    env: {
      ...SERVER_ENV,
      AWS_ACCESS_KEY_ID: chain.accessKeyId,
      AWS_SECRET_ACCESS_KEY: chain.secretAccessKey,
      AWS_REGION: REGION,
    },
  });
  const addRole = await cli(server, [
    'integration',
    'add',
    'ecr',
    'chaos',
    '--region',
    REGION,
    '--role-arn',
    world.iam.roles.enrichOpen.arn,
    '--all-runtimes',
    '--skip-test',
    '--api-endpoint',
    proxies.ecr.url,
    '--sts-endpoint',
    proxies.sts.url,
    '--registry-endpoint',
    proxies.registry.url,
  ]);
  expect(addRole.code, addRole.stderr).toBe(0);
  const addDead = await cli(
    server,
    [
      'integration',
      'add',
      'ecr',
      'dead',
      '--region',
      REGION,
      '--access-key-id',
      world.iam.users.ro.accessKeyId,
      '--secret-access-key-stdin',
      '--all-runtimes',
      '--skip-test',
      '--api-endpoint',
      proxies.dead.url,
      '--sts-endpoint',
      world.moto.endpoint,
      '--registry-endpoint',
      world.registry.url,
    ],
    { stdin: world.iam.users.ro.secretAccessKey },
  );
  expect(addDead.code, addDead.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await server?.stop();
  await Promise.all(Object.values(proxies).map((p) => p.stop()));
  await Promise.all([world?.stop(), remote?.cleanup()]);
});

describe('random faults on ECR, STS and the registry', () => {
  it('every report ends enriched or failed with its reason; most succeed after retries', async () => {
    chaos(proxies.ecr, [throttle, tooMany, e500, e503, hang, drop], SEED);
    chaos(proxies.sts, [stsThrottle, tooMany, e500, e503, hang, drop], SEED + 1);
    chaos(proxies.registry, [tooMany, e503, hang, drop], SEED + 2);
    const started = Date.now();
    const posted = await mapLimit(
      Array.from({ length: REPORTS }, (_, i) => i),
      10,
      (i) =>
        postReport(server, {
          image: world.images[i % IMAGES]!.ref,
          registryIntegration: 'chaos',
          workflow: { name: `chaos-${i}` },
        }),
    );
    for (const p of posted) expect(p.status, JSON.stringify(p.body ?? p.error)).toBe(202);
    // Bounded: 5 attempts × (3 SDK tries × 1.5 s timeout per call) would be far less than this.
    const finals = await waitAllTerminal(
      server,
      posted.map((p) => p.id!),
      300_000,
    );
    const took = Date.now() - started;
    for (const p of Object.values(proxies)) p.clear();

    const ok = finals.filter((f) => f.status === 'succeeded');
    const failed = finals.filter((f) => f.status === 'failed');
    expect(ok.length + failed.length).toBe(REPORTS);
    for (const [i, f] of finals.entries()) {
      if (f.status === 'succeeded') expect(f.result.digest).toBe(world.images[i % IMAGES]!.digest);
      else {
        expect(f.error?.message, JSON.stringify(f)).toEqual(expect.stringMatching(/\S/));
        expect(f.error?.errorClass, JSON.stringify(f)).toEqual(expect.stringMatching(/\S/));
      }
    }
    expect(
      ok.length,
      `failures: ${failed.map((f) => `${f.attempts}× ${f.error?.errorClass}: ${f.error?.message}`).join(' | ')}`,
    ).toBeGreaterThanOrEqual(Math.ceil(REPORTS * 0.8));

    const injected = (p: FaultProxy) => p.requests.filter((r) => r.fault).length;
    const kinds = (p: FaultProxy) => [...new Set(p.requests.map((r) => r.fault).filter(Boolean))].sort();
    // The faults did happen, on all three upstreams.
    for (const name of ['ecr', 'sts', 'registry'] as const)
      expect(injected(proxies[name]), name).toBeGreaterThan(0);
    const retried = finals.filter((f) => f.attempts > 1).length;
    console.log(
      `[proxies] seed ${SEED}: ${ok.length}/${REPORTS} succeeded, ${failed.length} failed ` +
        `(${[...new Set(failed.map((f) => `${f.attempts}× ${f.error?.errorClass}: ${f.error?.message}`))].join(' | ') || 'none'}); ${retried} needed >1 attempt; ` +
        `requests/faults ecr ${proxies.ecr.requests.length}/${injected(proxies.ecr)} ${kinds(proxies.ecr).join(',')}, ` +
        `sts ${proxies.sts.requests.length}/${injected(proxies.sts)}, registry ${proxies.registry.requests.length}/${injected(proxies.registry)}; ${took} ms`,
    );
  }, 400_000);

  it('a proxy that always fails: the report fails after max attempts with a clear reason', async () => {
    proxies.dead.inject(Array.from({ length: 100_000 }, () => e503));
    const p = await postReport(server, { image: `${HOST}/fault/px:v0`, registryIntegration: 'dead' });
    expect(p.status, JSON.stringify(p.body)).toBe(202);
    const [f] = await waitAllTerminal(server, [p.id!], 120_000);
    expect(f.status, JSON.stringify(f)).toBe('failed');
    expect(f.attempts).toBe(MAX_REPORT_ATTEMPTS);
    expect(f.error.errorClass).toEqual(expect.stringMatching(/\S/));
    expect(f.error.message).toMatch(/503|unavailable|server|ECR/i);
    expect(proxies.dead.requests.length).toBeGreaterThanOrEqual(MAX_REPORT_ATTEMPTS);
    console.log(
      `[proxies] always-failing: ${f.attempts} attempts, ${proxies.dead.requests.length} requests, errorClass ${f.error.errorClass}: ${f.error.message}`,
    );
  }, 200_000);
});
