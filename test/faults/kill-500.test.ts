import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addEcrKeyIntegration, startImagetrail, type ServerHandle } from '../helpers/imagetrail.js';
import { bareRemote } from '../helpers/git.js';
import {
  getJson,
  mapLimit,
  postReport,
  reportCounts,
  startEcrWorld,
  waitAllTerminal,
  waitUntil,
  type EcrWorld,
  type ReportCounts,
} from './helpers/common.js';

// SIGKILL during 500 concurrent reports. Reports are POSTed 25 at a time, each with an Idempotency-Key;
// the server is killed once some have been enriched and many are still queued, running, or in flight on
// the wire. After a restart on the same data directory, the reports whose 202 never arrived are POSTed
// again with the same key (a CI step retrying), and then: every report ends succeeded, there are exactly
// 500 reports (a retried POST did not duplicate one), and the number of builds equals the number of
// distinct (image, workflow) pairs: each report took effect once.

const TOTAL = 500;
const IMAGES = 20;
const WORKFLOWS = 7; // i % 20 and i % 7: 140 distinct (image, workflow) pairs, each reported 3-4 times
const BATCH = 25;
/** The kill lands once this many POSTs were acknowledged and some reports are being enriched. */
const KILL_AFTER_ACKNOWLEDGED = 250;

const SERVER_ENV = {
  IMAGETRAIL_REPORT_LEASE_MS: '1500',
  IMAGETRAIL_REPORT_POLL_MS: '200',
  IMAGETRAIL_REPORT_RETRY_BASE_MS: '100',
  IMAGETRAIL_AWS_TIMEOUT_MS: '5000',
  IMAGETRAIL_AWS_MAX_ATTEMPTS: '3',
};

let world: EcrWorld;
let remote: Awaited<ReturnType<typeof bareRemote>>;
let dataDir: string;
let server: ServerHandle | undefined;

beforeAll(async () => {
  [world, remote] = await Promise.all([
    startEcrWorld({ count: IMAGES, repositories: ['fault/kill-a', 'fault/kill-b'] }),
    bareRemote(),
  ]);
  dataDir = await mkdtemp(join(tmpdir(), 'imagetrail-kill500-'));
}, 180_000);

afterAll(async () => {
  await server?.stop();
  await Promise.all([world?.stop(), remote?.cleanup()]);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function reportBody(i: number) {
  const img = world.images[i % IMAGES]!;
  return { image: img.ref, registryIntegration: 'ecr', workflow: { name: `wf-${i % WORKFLOWS}` } };
}

describe('SIGKILL during 500 concurrent reports', () => {
  it('after restart every report succeeds, each exactly once in effect', async () => {
    const started = Date.now();
    server = await startImagetrail({ configRepo: remote.url, dataDir, env: SERVER_ENV });
    const add = await addEcrKeyIntegration(server, 'ecr', world.iam.users.ro, [
      '--skip-test',
      '--api-endpoint',
      world.moto.endpoint,
      '--sts-endpoint',
      world.moto.endpoint,
      '--registry-endpoint',
      world.registry.url,
    ]);
    expect(add.code, add.stderr).toBe(0);

    const ids = new Array<string | undefined>(TOTAL);
    const first = server;
    let killed = false;
    let countsAtKill: ReportCounts | undefined;
    let postErrorsDuringKill = 0;
    let non202 = 0;

    // The killer: halfway through the POSTs, with reports running, SIGKILL, wherever the POST loop is.
    const killer = (async () => {
      await waitUntil(
        'half the POSTs acknowledged and reports running',
        async () => {
          if (ids.filter(Boolean).length < KILL_AFTER_ACKNOWLEDGED) return undefined;
          const c = await reportCounts(first);
          return c.running > 0 && c.succeeded > 0 ? true : undefined;
        },
        { timeoutMs: 180_000, intervalMs: 20 },
      );
      countsAtKill = await reportCounts(first);
      first.proc.kill('SIGKILL');
      killed = true;
      await new Promise((r) =>
        first.proc.exitCode !== null || first.proc.signalCode !== null ? r(null) : first.proc.once('exit', r),
      );
    })();

    const order = Array.from({ length: TOTAL }, (_, i) => i);
    for (let b = 0; b < TOTAL; b += BATCH) {
      if (killed) break;
      await Promise.all(
        order.slice(b, b + BATCH).map(async (i) => {
          const r = await postReport(first, reportBody(i), `kill500-${i}`);
          if (r.status === 202 && r.id) ids[i] = r.id;
          else if (r.status === undefined) postErrorsDuringKill++;
          else non202++;
        }),
      );
    }
    await killer;
    expect(non202, 'every POST that got an answer was accepted').toBe(0);
    const acknowledgedBeforeKill = ids.filter(Boolean).length;
    // The kill landed mid-run: reports were running and others waiting, and not every POST was answered.
    expect(countsAtKill!.running).toBeGreaterThan(0);
    expect(countsAtKill!.queued).toBeGreaterThan(0);
    expect(acknowledgedBeforeKill).toBeLessThan(TOTAL);

    server = await startImagetrail({ configRepo: remote.url, dataDir, env: SERVER_ENV });
    const restarted = Date.now();
    const retried = order.filter((i) => !ids[i]);
    await mapLimit(retried, BATCH, async (i) => {
      const r = await postReport(server!, reportBody(i), `kill500-${i}`);
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      ids[i] = r.id;
    });

    const finals = await waitAllTerminal(server, ids as string[], 240_000);
    const drained = Date.now();
    const failed = finals.filter((f) => f.status !== 'succeeded');
    expect(failed.map((f) => `${f.id} ${f.status} ${JSON.stringify(f.error)}`)).toEqual([]);
    for (const [i, f] of finals.entries()) expect(f.result.digest).toBe(world.images[i % IMAGES]!.digest);
    expect(new Set(ids).size).toBe(TOTAL);

    const counts = await reportCounts(server);
    expect(counts).toMatchObject({ queued: 0, running: 0, failed: 0, succeeded: TOTAL });

    // Builds: one per distinct (image, workflow) pair, with exactly the expected workflow names per image.
    const expected = new Map<string, Set<string>>();
    for (let i = 0; i < TOTAL; i++) {
      const d = world.images[i % IMAGES]!.digest;
      if (!expected.has(d)) expected.set(d, new Set());
      expected.get(d)!.add(`wf-${i % WORKFLOWS}`);
    }
    const pairs = [...expected.values()].reduce((n, s) => n + s.size, 0);
    let builds = 0;
    const byDigest = new Map<string, string[]>();
    for (const repo of ['fault/kill-a', 'fault/kill-b']) {
      const list = await getJson(server, `/api/v1/images?repository=${encodeURIComponent(repo)}&limit=200`);
      expect(list.status).toBe(200);
      for (const item of list.json.items) {
        const d = await getJson(server, `/api/v1/images/${item.id}`);
        const names = d.json.builds.map((b: { workflowName?: string }) => b.workflowName ?? '');
        builds += names.length;
        byDigest.set(d.json.digest, names.sort());
      }
    }
    expect(byDigest.size).toBe(IMAGES);
    for (const [digest, names] of expected) expect(byDigest.get(digest), digest).toEqual([...names].sort());
    expect(builds).toBe(pairs);

    console.log(
      `[kill-500] acknowledged before kill ${acknowledgedBeforeKill}, POSTs cut by the kill ${postErrorsDuringKill}, ` +
        `re-POSTed after restart ${retried.length}; counts at kill ${JSON.stringify(countsAtKill)}; ` +
        `max attempts ${Math.max(...finals.map((f) => f.attempts))}; builds ${builds} = pairs ${pairs}; ` +
        `first run ${restarted - started} ms, drain after restart ${drained - restarted} ms`,
    );
  }, 600_000);
});
