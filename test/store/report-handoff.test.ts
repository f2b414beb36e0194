import { beforeEach, describe, expect, it } from 'vitest';
import type { ImageReportInput } from '../../src/contract/images.js';
import { reportStoreSubjects } from '../helpers/report-stores.js';

// A report written already leased to a claim that waited for it (agent-dispatch.ts `offer`, ADR 0039):
// the same state a claim would leave, on every store.

const subjects = reportStoreSubjects();

const input: ImageReportInput = { image: 'registry.example.com/team/app:1.0' };

describe.each(subjects)('report hand-over at intake (%s)', (_label, setup) => {
  const subject = setup();
  let t = Date.parse('2025-01-01T00:00:00.000Z');
  const now = () => new Date(t);

  beforeEach(async () => {
    if (subject.database) await subject.database().db.deleteFrom('image_reports').execute();
  });

  it('writes the job running under the lease, first attempt counted, as a claim would', async () => {
    const store = subject.store(now);
    const lease = { owner: 'agent:edge:a1:xyz', leaseMs: 1000 };
    const res = await store.enqueue(input, { runtime: 'edge', lease });
    const until = new Date(t + 1000).toISOString();
    expect(res.claimed).toEqual({
      id: res.id,
      input,
      runtime: 'edge',
      attempts: 1,
      maxAttempts: 5,
      leaseUntil: until,
      createdAt: now().toISOString(),
    });
    expect(res.report).toMatchObject({ status: 'running', attempts: 1 });
    expect(await store.holder(res.id)).toMatchObject({ owner: lease.owner, status: 'running' });
    // Nobody else takes it while the lease holds; after it ran out, it is taken over as a second attempt.
    expect(await store.claim({ owner: 'other', leaseMs: 1000, runtimes: ['edge'] })).toBeNull();
    t += 500;
    expect(await store.heartbeat(res.id, lease.owner, 1000)).toBe(true);
    t += 999;
    expect(await store.claim({ owner: 'other', leaseMs: 1000, runtimes: ['edge'] })).toBeNull();
    t += 1;
    expect(await store.claim({ owner: 'other', leaseMs: 1000 })).toMatchObject({ id: res.id, attempts: 2 });
  });

  it('takes no lease when an idempotency key names an existing job', async () => {
    const store = subject.store(now);
    const key = { idempotencyKey: 'run-7', idempotencyScope: 'report@edge' };
    const first = await store.enqueue(input, { runtime: 'edge', ...key });
    const again = await store.enqueue(input, {
      runtime: 'edge',
      ...key,
      lease: { owner: 'agent:edge:a1:xyz', leaseMs: 1000 },
    });
    expect(again).toMatchObject({ id: first.id, created: false });
    expect(again.claimed).toBeUndefined();
    expect(await store.holder(first.id)).toMatchObject({ owner: null, status: 'queued' });
  });
});
