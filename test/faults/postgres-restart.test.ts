import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, startImagetrail, type ServerHandle } from '../helpers/imagetrail.js';
import { bareRemote } from '../helpers/git.js';
import { REGION } from '../helpers/ecr-seed.js';
import {
  getJson,
  mapLimit,
  postReport,
  reportCounts,
  startEcrWorld,
  waitAllTerminal,
  waitUntil,
  type EcrWorld,
} from './helpers/common.js';
import { startPrivatePostgres, type PrivatePostgres } from './helpers/private-postgres.js';

// The server's PostgreSQL goes away mid-run (pg_ctl stop -m fast: every connection is cut) and comes back
// a few seconds later, on a private cluster of our own. Meanwhile: the server stays up and /healthz
// answers (degraded is fine, a 500 is not); reports POSTed while the database is down get a clear 503 —
// never a 500, never a 202 for something not persisted — and every report accepted before, during
// (none) or after the outage ends succeeded. Reports refused with 503 are retried by the client (same
// Idempotency-Key) once the database is back, as a CI step would.

const IMAGES = 10;
const BEFORE = 60;
const DURING = 10;
const AFTER = 10;
const OUTAGE_MS = 4000;

const SERVER_ENV = {
  IMAGETRAIL_REPORT_LEASE_MS: '1500',
  IMAGETRAIL_REPORT_POLL_MS: '200',
  IMAGETRAIL_REPORT_RETRY_BASE_MS: '100',
  IMAGETRAIL_REPORT_CONCURRENCY: '2',
  IMAGETRAIL_AWS_TIMEOUT_MS: '5000',
};

let world: EcrWorld;
let remote: Awaited<ReturnType<typeof bareRemote>>;
let postgres: PrivatePostgres;
let server: ServerHandle | undefined;

beforeAll(async () => {
  [world, remote, postgres] = await Promise.all([
    startEcrWorld({ count: IMAGES, repositories: ['fault/pg'] }),
    bareRemote(),
    startPrivatePostgres(),
  ]);
}, 180_000);

afterAll(async () => {
  await server?.stop();
  await Promise.all([world?.stop(), remote?.cleanup(), postgres?.destroy()]);
});

const body = (i: number) => ({
  image: world.images[i % IMAGES]!.ref,
  registryIntegration: 'ecr',
  workflow: { name: `pg-${i}` },
});

describe('PostgreSQL stopped and started under the server', () => {
  it('stays up, answers 503 while the database is down, and loses nothing accepted', async () => {
    server = await startImagetrail({ configRepo: remote.url, database: postgres.url, env: SERVER_ENV });
    const s = server;
    try {
      await scenario(s);
    } catch (err) {
      const exit = s.proc.exitCode ?? s.proc.signalCode;
      throw new Error(
        `${String(err)}\n--- server ${exit === null ? 'running' : `exited (${String(exit)})`}; log tail:\n${s.logs().slice(-6000)}`,
        { cause: err },
      );
    }
  }, 400_000);
});

async function scenario(s: ServerHandle): Promise<void> {
  const add = await cli(
    s,
    [
      'integration',
      'add',
      'ecr',
      'ecr',
      '--region',
      REGION,
      '--access-key-id',
      world.iam.users.ro.accessKeyId,
      '--secret-access-key-stdin',
      '--all-runtimes',
      '--skip-test',
      '--api-endpoint',
      world.moto.endpoint,
      '--sts-endpoint',
      world.moto.endpoint,
      '--registry-endpoint',
      world.registry.url,
    ],
    { stdin: world.iam.users.ro.secretAccessKey },
  );
  expect(add.code, add.stderr).toBe(0);

  const accepted = new Map<number, string>();
  await mapLimit(
    Array.from({ length: BEFORE }, (_, i) => i),
    10,
    async (i) => {
      const r = await postReport(s, body(i), `pg-${i}`);
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      accepted.set(i, r.id!);
    },
  );
  // Stop the database mid-run: some enriched, some running, some queued.
  await waitUntil(
    'a few reports enriched',
    async () => ((await reportCounts(s)).succeeded >= 5 ? true : undefined),
    { intervalMs: 20 },
  );
  const atStop = await reportCounts(s);
  const stoppedAt = Date.now();
  await postgres.stop();

  // While it is down: /healthz answers (not a 500), and POSTs are refused with a clear 503.
  const health = await getJson(s, '/healthz');
  expect([200, 503], JSON.stringify(health.json)).toContain(health.status);
  const during = await mapLimit(
    Array.from({ length: DURING }, (_, k) => BEFORE + k),
    5,
    (i) => postReport(s, body(i), `pg-${i}`),
  );
  for (const r of during) {
    expect(r.status, JSON.stringify(r.body ?? r.error)).toBe(503);
    expect(r.body?.error?.message, JSON.stringify(r.body)).toMatch(/database|store|unavailable/i);
  }
  const get = await getJson(s, `/api/v1/image-reports/${accepted.get(0)}`);
  expect(get.status, JSON.stringify(get.json)).not.toBe(500);
  const remaining = OUTAGE_MS - (Date.now() - stoppedAt);
  if (remaining > 0) await sleep(remaining);
  expect(s.proc.exitCode, 'the server process must survive the outage').toBeNull();

  await postgres.start();
  const restartedAt = Date.now();
  // The client retries the refused reports with the same key, then reports more.
  for (const i of Array.from({ length: DURING + AFTER }, (_, k) => BEFORE + k)) {
    const r = await waitUntil(
      `report ${i} accepted after the database came back`,
      async () => {
        const p = await postReport(s, body(i), `pg-${i}`);
        if (p.status === 500) throw new Error(`500 after restart: ${JSON.stringify(p.body)}`);
        return p.status === 202 ? p : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    accepted.set(i, r.id!);
  }
  const ids = [...accepted.values()];
  const finals = await waitAllTerminal(s, ids, 180_000);
  const drained = Date.now();
  expect(
    finals
      .filter((f) => f.status !== 'succeeded')
      .map((f) => `${f.id} ${f.status} ${JSON.stringify(f.error)}`),
  ).toEqual([]);
  const counts = await reportCounts(s);
  expect(counts).toMatchObject({ queued: 0, running: 0, failed: 0, succeeded: BEFORE + DURING + AFTER });
  const health2 = await getJson(s, '/healthz');
  expect(health2.status).toBe(200);
  expect(s.proc.exitCode).toBeNull();
  console.log(
    `[postgres-restart] at stop ${JSON.stringify(atStop)}; during outage healthz ${health.status}, POSTs ${during.map((d) => d.status).join(',')}; ` +
      `max attempts ${Math.max(...finals.map((f) => f.attempts))}; drained ${drained - restartedAt} ms after restart`,
  );
}
