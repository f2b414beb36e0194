import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/domain/errors.js';
import type { ImageReportInput } from '../../src/contract/images.js';
import { reportStoreSubjects } from '../helpers/report-stores.js';
import { manualClock } from './manual-clock.js';
import { input, useEmptyReportQueue } from './report-store-input.js';

// The report store takes reports in and shows them: the durable queued job, input checks, idempotency keys
// and their scopes, counts, lists and queue statistics. On the in-memory fake and both SQL engines. Claims,
// leases, retries and outcomes: report-store-leases.test.ts.

const subjects = reportStoreSubjects();

describe.each(subjects)('report store (%s)', (_label, setup) => {
  const subject = setup();

  useEmptyReportQueue(subject);

  it('enqueues a durable job and shows it as queued', async () => {
    const store = subject.store(manualClock().now);
    const { id, created } = await store.enqueue(input(), { runtime: 'local' });
    expect(created).toBe(true);
    expect(id).toMatch(/^rep_[0-9a-z]+$/);
    expect(await store.get(id)).toEqual({
      id,
      status: 'queued',
      attempts: 0,
      image: 'registry.example.com/team/app:1.0',
      runtime: 'local',
      steps: [],
      createdAt: '2025-01-01T00:00:00.000Z',
      updatedAt: '2025-01-01T00:00:00.000Z',
    });
    expect(await store.get('rep_missing')).toBeNull();
  });

  it('rejects an invalid report or options with an InputError', async () => {
    const store = subject.store();
    await expect(store.enqueue({ image: '' }, { runtime: 'local' })).rejects.toBeInstanceOf(InputError);
    await expect(
      store.enqueue({ image: 'x', extra: 1 } as unknown as ImageReportInput, { runtime: 'local' }),
    ).rejects.toBeInstanceOf(InputError);
    await expect(store.enqueue(input(), { runtime: 'Not A Name' })).rejects.toBeInstanceOf(InputError);
    await expect(store.enqueue(input(), { runtime: 'local', maxAttempts: 0 })).rejects.toBeInstanceOf(
      InputError,
    );
  });

  it('returns the existing job for a known idempotency key', async () => {
    const store = subject.store();
    const a = await store.enqueue(input(), { runtime: 'local', idempotencyKey: 'ci-run-1' });
    const b = await store.enqueue(input('other:2'), { runtime: 'local', idempotencyKey: 'ci-run-1' });
    const c = await store.enqueue(input(), { runtime: 'local', idempotencyKey: 'ci-run-2' });
    const d = await store.enqueue(input(), { runtime: 'local' });
    expect(a.created).toBe(true);
    expect(b).toEqual({ id: a.id, created: false, differentInput: true, report: a.report });
    expect(await store.enqueue(input(), { runtime: 'local', idempotencyKey: 'ci-run-1' })).toEqual({
      id: a.id,
      created: false,
      report: a.report,
    });
    expect(c.created).toBe(true);
    expect(new Set([a.id, c.id, d.id]).size).toBe(3);
    expect((await store.get(a.id))?.image).toBe('registry.example.com/team/app:1.0');
    expect((await store.counts()).queued).toBe(3);
  });

  it('keys are unique per scope: the same key in another scope is another report', async () => {
    const store = subject.store();
    const key = { idempotencyKey: 'build-7' };
    const ci = await store.enqueue(input(), { runtime: 'edge', ...key, idempotencyScope: 'report@edge' });
    const edge = await store.enqueue(input(), {
      runtime: 'edge',
      ...key,
      idempotencyScope: 'runtime:edge@edge',
    });
    const other = await store.enqueue(input(), { runtime: 'b', ...key, idempotencyScope: 'runtime:b@b' });
    expect([ci.created, edge.created, other.created]).toEqual([true, true, true]);
    expect(new Set([ci.id, edge.id, other.id]).size).toBe(3);
    const again = await store.enqueue(input(), {
      runtime: 'edge',
      ...key,
      idempotencyScope: 'runtime:edge@edge',
    });
    expect(again).toEqual({ id: edge.id, created: false, report: edge.report });
  });

  it('a replayed idempotency key answers with the existing report as it is now', async () => {
    const clock = manualClock();
    const store = subject.store(clock.now);
    const first = await store.enqueue(input(), { runtime: 'local', idempotencyKey: 'k1' });
    await store.claim({ owner: 'w', leaseMs: 30_000 });
    clock.advance(5);
    const again = await store.enqueue(input(), { runtime: 'local', idempotencyKey: 'k1' });
    expect(again).toMatchObject({ id: first.id, created: false });
    expect(again.report).toEqual(await store.get(first.id));
    expect(again.report.status).toBe('running');
  });

  it('counts by status and lists newest first, by status', async () => {
    const clock = manualClock();
    const store = subject.store(clock.now);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push((await store.enqueue(input(`app:${i}`), { runtime: 'local' })).id);
      clock.advance(1);
    }
    const job = await store.claim({ owner: 'w', leaseMs: 1000 });
    await store.succeed(job?.id ?? '', 'w', { imageId: 'i', digest: 'd' });
    await store.claim({ owner: 'w', leaseMs: 1000 });
    expect(await store.counts()).toEqual({ queued: 2, running: 1, succeeded: 1, failed: 0 });
    expect((await store.list()).map((r) => r.id)).toEqual([...ids].reverse());
    expect((await store.list({ status: 'queued' })).map((r) => r.image)).toEqual(['app:3', 'app:2']);
    expect((await store.list({ limit: 1 })).map((r) => r.id)).toEqual([ids[3]]);
    await expect(store.list({ limit: 0 })).rejects.toBeInstanceOf(InputError);
  });

  it('queueStats: per runtime, what waits (retries included) and since when the oldest waits', async () => {
    const clock = manualClock();
    const store = subject.store(clock.now);
    const t0 = clock.now().toISOString();
    const a = await store.enqueue(input('a:1'), { runtime: 'local' });
    clock.advance(1000);
    await store.enqueue(input('b:1'), { runtime: 'local' });
    const t1 = clock.now().toISOString();
    await store.enqueue(input('c:1'), { runtime: 'edge' });
    clock.advance(1000);
    const byRuntime = async () => Object.fromEntries((await store.queueStats()).map((q) => [q.runtime, q]));
    expect(await byRuntime()).toEqual({
      local: { runtime: 'local', queued: 2, oldestCreatedAt: t0 },
      edge: { runtime: 'edge', queued: 1, oldestCreatedAt: t1 },
    });
    // Running is not waiting; a failure to be retried waits again, still as old as its acceptance.
    const job = await store.claim({ owner: 'w', leaseMs: 30_000 });
    expect(job?.id).toBe(a.id);
    expect((await byRuntime())['local']).toMatchObject({ queued: 1 });
    await store.fail(a.id, 'w', { message: 'throttled', retryable: true });
    expect((await byRuntime())['local']).toEqual({ runtime: 'local', queued: 2, oldestCreatedAt: t0 });
  });
});
