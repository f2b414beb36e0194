import { beforeEach, describe, expect, it } from 'vitest';
import type { AgentTaskStore } from '../../src/store/agent-task-store.js';
import { FakeAgentTaskStore } from '../../src/store/fake-agent-task-store.js';
import { SqlAgentTaskStore } from '../../src/store/sql-agent-task-store.js';
import { eachDatabase, useTestDatabase, type TestDatabase } from '../helpers/databases.js';

// Issue 11 point 3 in the store: connection tests and inspections queued per runtime for its agents, so an
// agent long-polling one replica takes a task another replica queued. Leased to one agent; an expired lease
// is claimed again; a task not finished before its expiry, or withdrawn by its waiting caller, is never run.

function manualClock(start = Date.parse('2025-01-01T00:00:00.000Z')) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

type Subject = { store: (now: () => Date) => AgentTaskStore; database?: () => TestDatabase };

const subjects: [string, () => Subject][] = [
  ['fake', () => ({ store: (now) => new FakeAgentTaskStore({ now }) })],
  ...eachDatabase().map((engine): [string, () => Subject] => [
    engine,
    () => {
      const database = useTestDatabase(engine);
      return { store: (now) => new SqlAgentTaskStore({ db: database().db, now }), database };
    },
  ]),
];

const payload = { type: 'registry.ecr', name: 'role-ecr', section: { region: 'eu-west-1' } };

describe.each(subjects)('agent tasks (%s)', (_label, setup) => {
  const subject = setup();
  beforeEach(async () => {
    if (subject.database) await subject.database().db.deleteFrom('agent_tasks').execute();
  });

  it("claims only its runtime's tasks, oldest first, each once while leased", async () => {
    const clock = manualClock();
    const store = subject.store(clock.now);
    const a1 = await store.enqueue({ runtime: 'eks-a', kind: 'test', payload, ttlMs: 60_000 });
    clock.advance(1);
    const b = await store.enqueue({
      runtime: 'eks-b',
      kind: 'inspect',
      payload: { image: 'x' },
      ttlMs: 60_000,
    });
    clock.advance(1);
    const a2 = await store.enqueue({
      runtime: 'eks-a',
      kind: 'inspect',
      payload: { image: 'y' },
      ttlMs: 60_000,
    });
    expect(a1.expiresAt).toBe('2025-01-01T00:01:00.000Z');
    const first = await store.claim({ runtime: 'eks-a', owner: 'agent-1', leaseMs: 10_000 });
    expect(first).toMatchObject({ id: a1.id, kind: 'test', runtime: 'eks-a', payload, attempt: 1 });
    expect(first?.leaseUntil).toBe('2025-01-01T00:00:10.002Z');
    expect((await store.claim({ runtime: 'eks-a', owner: 'agent-2', leaseMs: 10_000 }))?.id).toBe(a2.id);
    expect(await store.claim({ runtime: 'eks-a', owner: 'agent-2', leaseMs: 10_000 })).toBeNull();
    expect((await store.claim({ runtime: 'eks-b', owner: 'agent-3', leaseMs: 10_000 }))?.id).toBe(b.id);
    expect(await store.get(a1.id)).toMatchObject({ status: 'running', runtime: 'eks-a', owner: 'agent-1' });
  });

  it('an expired lease is claimed again; the old holder cannot complete; the result is kept once', async () => {
    const clock = manualClock();
    const store = subject.store(clock.now);
    const t = await store.enqueue({ runtime: 'eks-a', kind: 'test', payload, ttlMs: 60_000 });
    await store.claim({ runtime: 'eks-a', owner: 'agent-1', leaseMs: 5_000 });
    clock.advance(5_000);
    const again = await store.claim({ runtime: 'eks-a', owner: 'agent-2', leaseMs: 5_000 });
    expect(again).toMatchObject({ id: t.id, attempt: 2 });
    expect(await store.complete(t.id, 'agent-1', { ok: true })).toBe('lost');
    expect(await store.complete(t.id, 'agent-2', { ok: true, checks: [] })).toBe('recorded');
    expect(await store.complete(t.id, 'agent-2', { ok: true, checks: [] })).toBe('duplicate');
    expect(await store.get(t.id)).toMatchObject({ status: 'done', result: { ok: true, checks: [] } });
    clock.advance(60_000);
    expect(await store.claim({ runtime: 'eks-a', owner: 'agent-3', leaseMs: 5_000 })).toBeNull();
  });

  it("a renewed lease stays its holder's past the first lease; only the holder renews a running task", async () => {
    const clock = manualClock();
    const store = subject.store(clock.now);
    const t = await store.enqueue({ runtime: 'eks-a', kind: 'inspect', payload, ttlMs: 60_000 });
    await store.claim({ runtime: 'eks-a', owner: 'agent-1', leaseMs: 5_000 });
    clock.advance(4_000);
    expect(await store.renew(t.id, 'agent-1', 5_000)).toEqual({ leaseUntil: '2025-01-01T00:00:09.000Z' });
    expect(await store.renew(t.id, 'agent-2', 5_000)).toBeNull();
    clock.advance(4_000);
    // 8 s after the claim: past the first lease, within the renewed one.
    expect(await store.claim({ runtime: 'eks-a', owner: 'agent-2', leaseMs: 5_000 })).toBeNull();
    clock.advance(1_000);
    expect(await store.claim({ runtime: 'eks-a', owner: 'agent-2', leaseMs: 5_000 })).toMatchObject({
      id: t.id,
      attempt: 2,
    });
    expect(await store.renew(t.id, 'agent-1', 5_000)).toBeNull();
    expect(await store.complete(t.id, 'agent-2', { ok: true })).toBe('recorded');
    expect(await store.renew(t.id, 'agent-2', 5_000)).toBeNull();
    const w = await store.enqueue({ runtime: 'eks-a', kind: 'test', payload, ttlMs: 60_000 });
    await store.claim({ runtime: 'eks-a', owner: 'agent-3', leaseMs: 5_000 });
    await store.withdraw(w.id);
    expect(await store.renew(w.id, 'agent-3', 5_000)).toBeNull();
    expect(await store.renew('task_nope', 'agent-3', 5_000)).toBeNull();
  });

  it("a lease is not renewed past the task's expiry", async () => {
    const clock = manualClock();
    const store = subject.store(clock.now);
    const t = await store.enqueue({ runtime: 'eks-a', kind: 'test', payload, ttlMs: 10_000 });
    await store.claim({ runtime: 'eks-a', owner: 'agent-1', leaseMs: 5_000 });
    clock.advance(4_000);
    expect(await store.renew(t.id, 'agent-1', 60_000)).toEqual({ leaseUntil: '2025-01-01T00:00:10.000Z' });
    clock.advance(6_000);
    expect(await store.renew(t.id, 'agent-1', 5_000)).toBeNull();
  });

  it('a withdrawn or expired task is never claimed; a finished one is not withdrawn', async () => {
    const clock = manualClock();
    const store = subject.store(clock.now);
    const w = await store.enqueue({ runtime: 'eks-a', kind: 'test', payload, ttlMs: 60_000 });
    expect(await store.withdraw(w.id)).toBe(true);
    expect(await store.claim({ runtime: 'eks-a', owner: 'agent-1', leaseMs: 5_000 })).toBeNull();
    expect((await store.get(w.id))?.status).toBe('withdrawn');
    await store.enqueue({ runtime: 'eks-a', kind: 'test', payload, ttlMs: 1_000 });
    clock.advance(1_000);
    expect(await store.claim({ runtime: 'eks-a', owner: 'agent-1', leaseMs: 5_000 })).toBeNull();
    const d = await store.enqueue({ runtime: 'eks-a', kind: 'test', payload, ttlMs: 60_000 });
    await store.claim({ runtime: 'eks-a', owner: 'agent-1', leaseMs: 5_000 });
    expect(await store.complete(d.id, 'agent-1', { ok: false })).toBe('recorded');
    expect(await store.withdraw(d.id)).toBe(false);
    expect(await store.get(d.id)).toMatchObject({ status: 'done', result: { ok: false } });
    expect(await store.get('nope')).toBeNull();
  });

  it('counts queued and running tasks per runtime (expired and finished ones not)', async () => {
    const clock = manualClock();
    const store = subject.store(clock.now);
    await store.enqueue({ runtime: 'eks-a', kind: 'test', payload, ttlMs: 60_000 });
    await store.enqueue({ runtime: 'eks-a', kind: 'test', payload, ttlMs: 60_000 });
    await store.enqueue({ runtime: 'eks-b', kind: 'test', payload, ttlMs: 1_000 });
    await store.claim({ runtime: 'eks-a', owner: 'agent-1', leaseMs: 5_000 });
    clock.advance(1_000);
    expect(await store.stats()).toEqual([
      { runtime: 'eks-a', queued: 1, running: 1, oldestQueuedAt: '2025-01-01T00:00:00.000Z' },
    ]);
  });
});

describe.each(eachDatabase())('agent tasks across replicas (%s)', (engine) => {
  const database = useTestDatabase(engine);

  it('a task queued through one connection is claimed through another, by one claimer only', async () => {
    const one = new SqlAgentTaskStore({ db: database().db });
    const t = await one.enqueue({
      runtime: 'eks-a',
      kind: 'inspect',
      payload: { image: 'x' },
      ttlMs: 60_000,
    });
    const claimers = Array.from({ length: 4 }, () => new SqlAgentTaskStore({ db: database().db }));
    const got = await Promise.all(
      claimers.map((c, i) => c.claim({ runtime: 'eks-a', owner: `agent-${i}`, leaseMs: 60_000 })),
    );
    expect(got.filter((g) => g !== null).map((g) => g.id)).toEqual([t.id]);
  });
});
