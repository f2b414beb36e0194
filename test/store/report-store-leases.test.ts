import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/domain/errors.js';
import { openDatabase } from '../../src/store/database.js';
import { SqlReportStore } from '../../src/store/sql-report-store.js';
import { reportStoreSubjects } from '../helpers/report-stores.js';
import { manualClock } from './manual-clock.js';
import { input, useEmptyReportQueue } from './report-store-input.js';

// The report store runs its jobs: claims, steps, leases and their expiry, heartbeats, retries with backoff,
// permanent failures, and (SQL engines) concurrent workers on separate connections and in separate
// processes. On the in-memory fake and both SQL engines. Intake, idempotency and lists:
// report-store-intake.test.ts.

const run = promisify(execFile);

const subjects = reportStoreSubjects();

describe.each(subjects)('report store (%s)', (_label, setup) => {
  const subject = setup();

  useEmptyReportQueue(subject);

  it('claims the oldest due job once, with its input, and runs it to success', async () => {
    const clock = manualClock();
    const store = subject.store(clock.now);
    const first = await store.enqueue(input('a:1'), { runtime: 'local' });
    clock.advance(1);
    const second = await store.enqueue(input('b:1'), { runtime: 'edge' });

    const job = await store.claim({ owner: 'w1', leaseMs: 30_000 });
    expect(job).toEqual({
      id: first.id,
      input: input('a:1'),
      runtime: 'local',
      attempts: 1,
      maxAttempts: 5,
      leaseUntil: '2025-01-01T00:00:30.001Z',
      createdAt: '2025-01-01T00:00:00.000Z',
    });
    expect((await store.claim({ owner: 'w2', leaseMs: 30_000 }))?.id).toBe(second.id);
    expect(await store.claim({ owner: 'w3', leaseMs: 30_000 })).toBeNull();

    const at = clock.now().toISOString();
    expect(
      await store.appendStep(first.id, 'w1', { name: 'registry', status: 'ok', message: 'found', at }),
    ).toBe(true);
    expect(await store.appendStep(first.id, 'w1', { name: 'git', status: 'skipped', at })).toBe(true);
    expect(await store.appendStep(first.id, 'w2', { name: 'intruder', status: 'ok', at })).toBe(false);
    expect(await store.succeed(first.id, 'w2', { imageId: 'img_x', digest: 'sha256:bad' })).toBe(false);
    expect(await store.succeed(first.id, 'w1', { imageId: 'img_1', digest: 'sha256:abc' })).toBe(true);
    expect(await store.succeed(first.id, 'w1', { imageId: 'img_1', digest: 'sha256:abc' })).toBe(false);

    const view = await store.get(first.id);
    expect(view).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      result: { imageId: 'img_1', digest: 'sha256:abc' },
    });
    expect(view?.steps).toEqual([
      { name: 'registry', status: 'ok', message: 'found', at },
      { name: 'git', status: 'skipped', at },
    ]);
    expect(view?.error).toBeUndefined();
  });

  it('records steps with the lease renewal and the outcome, in one write each, only for the lease holder', async () => {
    const clock = manualClock();
    const store = subject.store(clock.now);
    const at = clock.now().toISOString();
    const a = await store.enqueue(input('a:1'), { runtime: 'local' });
    const b = await store.enqueue(input('b:1'), { runtime: 'local' });
    expect(a.report).toEqual(await store.get(a.id));
    await store.claim({ owner: 'w1', leaseMs: 30_000 });
    await store.claim({ owner: 'w2', leaseMs: 30_000 });

    const s1 = { name: 'registry', status: 'ok' as const, message: 'found', at };
    const s2 = { name: 'git', status: 'skipped' as const, at };
    const s3 = { name: 'recorded', status: 'ok' as const, at };
    expect(await store.heartbeat(a.id, 'w1', 30_000, [s1])).toBe(true);
    expect(await store.heartbeat(a.id, 'w2', 30_000, [s2])).toBe(false);
    expect(await store.succeed(a.id, 'w1', { imageId: 'img_1', digest: 'sha256:a' }, [s2, s3])).toBe(true);
    expect((await store.get(a.id))?.steps).toEqual([s1, s2, s3]);

    const failed = { name: 'failed', status: 'failed' as const, message: 'no such image', at };
    expect(await store.fail(b.id, 'w1', { message: 'x', retryable: false, steps: [failed] })).toBe(false);
    expect(await store.fail(b.id, 'w2', { message: 'gone', retryable: false, steps: [s1, failed] })).toEqual({
      status: 'failed',
    });
    expect(await store.get(b.id)).toMatchObject({ status: 'failed', steps: [s1, failed] });
  });

  // Steps are diagnostics; a pushed image decides how long they are (one per platform of an index, its
  // list in a message). Refusing them used to fail the lease renewal and the outcome after the image was
  // recorded: they are cut to what a write keeps instead.
  it('fits oversized steps instead of refusing them: progress never blocks a renewal or an outcome', async () => {
    const clock = manualClock();
    const store = subject.store(clock.now);
    const at = clock.now().toISOString();
    const a = await store.enqueue(input('a:1'), { runtime: 'local' });
    await store.claim({ owner: 'w1', leaseMs: 30_000 });
    const long = { name: 'n'.repeat(300), status: 'ok' as const, message: 'm'.repeat(5000), at: 'soon' };
    const many = Array.from({ length: 250 }, (_, i) => ({ name: `s${i}`, status: 'ok' as const, at }));
    expect(await store.heartbeat(a.id, 'w1', 30_000, [long, { name: '', status: 'ok', at }])).toBe(true);
    expect(await store.succeed(a.id, 'w1', { imageId: 'img_1', digest: 'sha256:a' }, many)).toBe(true);
    const steps = (await store.get(a.id))?.steps ?? [];
    expect(steps[0]).toMatchObject({ name: 'n'.repeat(200), message: 'm'.repeat(4000) });
    expect(Number.isNaN(Date.parse(steps[0]?.at ?? ''))).toBe(false);
    expect(steps[1]?.name).toBe('step');
    expect(steps.slice(2, 201).map((s) => s.name)).toEqual(many.slice(0, 199).map((s) => s.name));
    expect(steps[201]).toMatchObject({ name: 'steps', status: 'skipped', message: '51 more steps not kept' });
    expect(steps).toHaveLength(202);
  });

  it('recovers the job of a crashed worker: the lease expires, B re-claims, A is refused', async () => {
    const clock = manualClock();
    const store = subject.store(clock.now);
    const { id } = await store.enqueue(input(), { runtime: 'local' });
    expect((await store.claim({ owner: 'A', leaseMs: 1000 }))?.attempts).toBe(1);

    clock.advance(999);
    expect(await store.claim({ owner: 'B', leaseMs: 1000 })).toBeNull();
    clock.advance(1);
    const retaken = await store.claim({ owner: 'B', leaseMs: 1000 });
    expect(retaken).toMatchObject({ id, attempts: 2 });

    expect(await store.heartbeat(id, 'A', 1000)).toBe(false);
    expect(
      await store.appendStep(id, 'A', { name: 'late', status: 'ok', at: clock.now().toISOString() }),
    ).toBe(false);
    expect(await store.succeed(id, 'A', { imageId: 'img_a', digest: 'sha256:a' })).toBe(false);
    expect(await store.fail(id, 'A', { message: 'late', retryable: true })).toBe(false);
    expect(await store.succeed(id, 'B', { imageId: 'img_b', digest: 'sha256:b' })).toBe(true);
    expect(await store.get(id)).toMatchObject({
      status: 'succeeded',
      attempts: 2,
      result: { imageId: 'img_b' },
    });
  });

  it('keeps the lease while the worker heartbeats', async () => {
    const clock = manualClock();
    const store = subject.store(clock.now);
    const { id } = await store.enqueue(input(), { runtime: 'local' });
    await store.claim({ owner: 'A', leaseMs: 1000 });
    for (let i = 0; i < 5; i++) {
      clock.advance(800);
      expect(await store.heartbeat(id, 'A', 1000)).toBe(true);
      expect(await store.claim({ owner: 'B', leaseMs: 1000 })).toBeNull();
    }
    await expect(store.heartbeat(id, 'A', 0)).rejects.toBeInstanceOf(InputError);
  });

  it('retries transient failures with backoff, then fails after max attempts', async () => {
    const clock = manualClock();
    const store = subject.store(clock.now);
    const { id } = await store.enqueue(input(), { runtime: 'local', maxAttempts: 3 });

    expect((await store.claim({ owner: 'w', leaseMs: 60_000 }))?.attempts).toBe(1);
    expect(
      await store.fail(id, 'w', { message: 'throttled', errorClass: 'Throttling', retryable: true }),
    ).toEqual({
      status: 'queued',
      nextAttemptAt: '2025-01-01T00:00:02.000Z',
    });
    expect(await store.get(id)).toMatchObject({
      status: 'queued',
      error: { message: 'throttled', errorClass: 'Throttling' },
    });
    expect(await store.claim({ owner: 'w', leaseMs: 60_000 })).toBeNull();
    clock.advance(2000);

    expect((await store.claim({ owner: 'w', leaseMs: 60_000 }))?.attempts).toBe(2);
    const explicit = new Date(clock.now().getTime() + 10_000);
    expect(await store.fail(id, 'w', { message: 'again', retryable: true, retryAt: explicit })).toEqual({
      status: 'queued',
      nextAttemptAt: explicit.toISOString(),
    });
    clock.advance(9_999);
    expect(await store.claim({ owner: 'w', leaseMs: 60_000 })).toBeNull();
    clock.advance(1);

    expect((await store.claim({ owner: 'w', leaseMs: 60_000 }))?.attempts).toBe(3);
    expect(
      await store.fail(id, 'w', { message: 'still throttled', errorClass: 'Throttling', retryable: true }),
    ).toEqual({
      status: 'failed',
    });
    clock.advance(3_600_000);
    expect(await store.claim({ owner: 'w', leaseMs: 60_000 })).toBeNull();
    expect(await store.get(id)).toMatchObject({
      status: 'failed',
      attempts: 3,
      error: { message: 'still throttled', errorClass: 'Throttling' },
    });
  });

  it('fails at once on a permanent error', async () => {
    const store = subject.store();
    const { id } = await store.enqueue(input(), { runtime: 'local' });
    await store.claim({ owner: 'w', leaseMs: 60_000 });
    expect(
      await store.fail(id, 'w', { message: 'no such image', errorClass: 'NotFoundError', retryable: false }),
    ).toEqual({
      status: 'failed',
    });
    expect(await store.get(id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { message: 'no such image' },
    });
  });

  it('fails a job whose worker died on its last attempt instead of leaving it running', async () => {
    const clock = manualClock();
    const store = subject.store(clock.now);
    const { id } = await store.enqueue(input(), { runtime: 'local', maxAttempts: 1 });
    await store.claim({ owner: 'A', leaseMs: 1000 });
    clock.advance(1000);
    expect(await store.claim({ owner: 'B', leaseMs: 1000 })).toBeNull();
    expect(await store.get(id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { errorClass: 'LeaseExpired' },
    });
    expect(await store.succeed(id, 'A', { imageId: 'i', digest: 'd' })).toBe(false);
  });

  if (_label === 'fake') return;

  it('4 workers on separate connections claim 200 jobs concurrently, each exactly once', async () => {
    const { url } = subject.database!();
    const store = subject.store();
    for (let i = 0; i < 200; i++) await store.enqueue(input(`app:${i}`), { runtime: 'local' });

    const handles = Array.from({ length: 4 }, () => openDatabase(url, { poolMax: 2 }));
    try {
      const perWorker = await Promise.all(
        handles.map(async (h, w) => {
          const worker = new SqlReportStore(h);
          const mine: string[] = [];
          for (;;) {
            const job = await worker.claim({ owner: `w${w}`, leaseMs: 600_000 });
            if (!job) return mine;
            mine.push(job.id);
            expect(await worker.succeed(job.id, `w${w}`, { imageId: 'i', digest: 'd' })).toBe(true);
          }
        }),
      );
      const all = perWorker.flat();
      expect(all).toHaveLength(200);
      expect(new Set(all).size).toBe(200);
      expect(await store.counts()).toEqual({ queued: 0, running: 0, succeeded: 200, failed: 0 });
    } finally {
      await Promise.all(handles.map((h) => h.close()));
    }
  });

  describe('across processes', () => {
    let dir: string;
    let worker: string;
    beforeAll(async () => {
      // Inside the checkout, so the bundle's bare imports (kysely, pg, better-sqlite3) resolve to node_modules.
      mkdirSync(join(process.cwd(), 'node_modules', '.cache'), { recursive: true });
      dir = mkdtempSync(join(process.cwd(), 'node_modules', '.cache', 'imagetrail-claim-worker-'));
      worker = join(dir, 'claim-worker.mjs');
      await build({
        entryPoints: [join(import.meta.dirname, 'claim-worker.ts')],
        outfile: worker,
        bundle: true,
        format: 'esm',
        platform: 'node',
        target: 'node22',
        packages: 'external',
        logLevel: 'warning',
      });
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('4 worker processes claim 200 jobs concurrently, each exactly once', async () => {
      const { url } = subject.database!();
      const store = subject.store();
      for (let i = 0; i < 200; i++) await store.enqueue(input(`app:${i}`), { runtime: 'local' });

      const outputs = await Promise.all(
        [0, 1, 2, 3].map((w) =>
          run(process.execPath, [worker, url, `proc${w}`], { cwd: process.cwd(), timeout: 60_000 }),
        ),
      );
      const perWorker = outputs.map((o) => JSON.parse(o.stdout) as string[]);
      const all = perWorker.flat();
      expect(all).toHaveLength(200);
      expect(new Set(all).size).toBe(200);
      expect(await store.counts()).toEqual({ queued: 0, running: 0, succeeded: 200, failed: 0 });
    });
  });
});
