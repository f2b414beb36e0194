import { describe, expect, it } from 'vitest';
import { AGENT_PROTOCOL, type AgentJob } from '../contract/agent-protocol.js';
import type { PipelineResult } from '../contract/images.js';
import { emptySnapshot } from '../config-repo/snapshot.js';
import { NotAllowedError } from '../domain/errors.js';
import { Redactor } from '../logging/redactor.js';
import { FakeReportStore } from '../store/fake-report-store.js';
import type { SqlAgentStore } from '../store/sql-agent-store.js';
import type { Principal } from '../store/token-store.js';
import { AgentDispatch } from './agent-dispatch.js';
import { LEASE_MEMO_MARGIN_MS } from './dispatch-memo.js';

const HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const EDGE: Principal = { id: 'tok_edge', name: 'runtime edge', scopes: ['runtime:edge'] };
const OTHER: Principal = { id: 'tok_other', name: 'runtime other', scopes: ['runtime:other'] };

/** The dispatch on an in-memory report store, counting the statements a SQL store would have run. */
function setup(reports = new FakeReportStore(), opts: { leaseMs?: number } = {}) {
  const calls = { holder: 0, claim: 0, tasks: 0, recorded: 0 };
  const store = Object.assign(Object.create(reports) as FakeReportStore, {
    holder: (id: string) => (calls.holder++, reports.holder(id)),
    claim: (o: Parameters<FakeReportStore['claim']>[0]) => (calls.claim++, reports.claim(o)),
  });
  const dispatch = new AgentDispatch({
    repo: { snapshot: () => emptySnapshot('c0ffee') },
    reports: store,
    images: {
      recordEnrichment: () => (
        calls.recorded++,
        Promise.resolve({ imageId: 'img_1', buildId: 'bld_1', created: true, buildCreated: true })
      ),
    },
    agents: {
      seen: () => Promise.resolve(),
      prune: () => Promise.resolve(),
      list: () => Promise.resolve([]),
    } as unknown as SqlAgentStore,
    redactor: new Redactor(),
    pollMs: 60_000,
    ...opts,
    claimTask: () => (calls.tasks++, Promise.resolve(null)),
  });
  return { reports, dispatch, calls };
}

const claimOf = (waitMs = 0) => ({
  protocol: AGENT_PROTOCOL,
  runtime: 'edge',
  agentId: 'agent-1',
  version: '0.2.0',
  waitMs,
});

const queue = (reports: FakeReportStore) =>
  reports.enqueue({ image: `${HOST}/team/app:1.0` }, { runtime: 'edge' });

function completion(job: AgentJob) {
  if (job.kind !== 'report') throw new Error('expected a report job');
  const result = {
    image: { registry: HOST, repository: 'team/app', digest: `sha256:${'b'.repeat(64)}` },
    build: {},
  } as unknown as PipelineResult;
  return {
    protocol: AGENT_PROTOCOL,
    leaseId: job.leaseId,
    attempt: job.attempt,
    steps: [],
    outcome: { ok: true, result },
  };
}

async function claimOne(d: AgentDispatch): Promise<AgentJob> {
  const job = (await d.claim(EDGE, claimOf())).jobs[0];
  if (!job) throw new Error('no job claimed');
  return job;
}

describe('AgentDispatch claims', () => {
  it('looks for tasks only when one may be waiting: after a task wake-up, here or announced', async () => {
    const { dispatch, calls } = setup();
    await dispatch.claim(EDGE, claimOf());
    await dispatch.claim(EDGE, claimOf());
    expect(calls.tasks).toBe(1);
    dispatch.notifyTask('edge');
    await dispatch.claim(EDGE, claimOf());
    expect(calls.tasks).toBe(2);
    dispatch.notifyAll();
    await dispatch.claim(EDGE, claimOf());
    await dispatch.claim(EDGE, claimOf());
    expect(calls.tasks).toBe(3);
    // A report's wake-up is not a task's.
    dispatch.notify('edge');
    await dispatch.claim(EDGE, claimOf());
    expect(calls.tasks).toBe(3);
    expect(calls.claim).toBe(6);
  });

  it('answers the claim that took a job before the next waiting claim looks', async () => {
    const { reports, dispatch, calls } = setup();
    const stop = new AbortController();
    const first = dispatch.claim(EDGE, claimOf(5000));
    const second = dispatch.claim(EDGE, claimOf(5000), stop.signal);
    await new Promise((r) => setTimeout(r, 20));
    expect(calls.claim).toBe(2);
    await queue(reports);
    dispatch.notify('edge');
    const answer = await first;
    expect(answer.jobs).toHaveLength(1);
    // The route writes the answer a few promise steps later (middleware unwinding): the next look must
    // not run its statements ahead of that, as it would if woken at once.
    for (let i = 0; i < 50; i++) await Promise.resolve();
    expect(calls.claim).toBe(3);
    await new Promise((r) => setImmediate(r));
    // …then it looks (there may be more), finds none and waits again.
    expect(calls.claim).toBe(4);
    stop.abort();
    expect((await second).jobs).toEqual([]);
  });
});

describe('AgentDispatch completions', () => {
  it('completes a lease handed out here without reading the job back; still refuses another runtime (403)', async () => {
    const { reports, dispatch, calls } = setup();
    await queue(reports);
    const job = await claimOne(dispatch);
    await expect(dispatch.complete(OTHER, job.id, completion(job))).rejects.toBeInstanceOf(NotAllowedError);
    expect(calls.recorded).toBe(0);
    const done = await dispatch.complete(EDGE, job.id, completion(job));
    expect(done.status).toBe('recorded');
    expect(calls.holder).toBe(0);
    expect((await reports.get(job.id))?.status).toBe('succeeded');
    // Sent again (the answer was lost): a duplicate, found in the store, recorded once.
    const again = await dispatch.complete(EDGE, job.id, completion(job));
    expect(again).toMatchObject({ status: 'duplicate', report: { status: 'succeeded' } });
    expect(calls.recorded).toBe(1);
    await expect(dispatch.complete(OTHER, job.id, completion(job))).rejects.toBeInstanceOf(NotAllowedError);
  });

  it('two completions of one attempt at once: one recorded, the other a duplicate', async () => {
    const { reports, dispatch } = setup();
    await queue(reports);
    const job = await claimOne(dispatch);
    const both = await Promise.all([
      dispatch.complete(EDGE, job.id, completion(job)),
      dispatch.complete(EDGE, job.id, completion(job)),
    ]);
    expect(both.map((b) => b.status).sort()).toEqual(['duplicate', 'recorded']);
  });

  it("completes a lease another replica handed out, through the store; refuses one that is not the job's", async () => {
    const reports = new FakeReportStore();
    const a = setup(reports);
    const b = setup(reports);
    await queue(reports);
    const job = await claimOne(a.dispatch);
    if (job.kind !== 'report') throw new Error('expected a report job');
    const forged = { ...completion(job), leaseId: `agent:edge:agent-1:${'x'.repeat(16)}` };
    await expect(b.dispatch.complete(EDGE, job.id, forged)).rejects.toThrow(/no longer this agent's/);
    await expect(a.dispatch.complete(EDGE, job.id, forged)).rejects.toThrow(/no longer this agent's/);
    expect((await b.dispatch.complete(EDGE, job.id, completion(job))).status).toBe('recorded');
    expect(b.calls.holder).toBe(2);
    expect((await a.dispatch.complete(EDGE, job.id, completion(job))).status).toBe('duplicate');
  });

  // Another replica may take the job once the store's term passed by its clock: a remembered lease must
  // not outlive that term (less a margin for clocks), nor a renewal the store refused.
  it('reads the job back once the lease is within the margin of its term, or after a refused renewal', async () => {
    const short = setup(new FakeReportStore(), { leaseMs: LEASE_MEMO_MARGIN_MS });
    await queue(short.reports);
    const job = await claimOne(short.dispatch);
    expect((await short.dispatch.complete(EDGE, job.id, completion(job))).status).toBe('recorded');
    expect(short.calls.holder).toBe(1);

    const { reports, dispatch, calls } = setup();
    await queue(reports);
    const held = await claimOne(dispatch);
    if (held.kind !== 'report') throw new Error('expected a report job');
    reports.heartbeat = () => Promise.resolve(false);
    const renewal = { protocol: AGENT_PROTOCOL, leaseId: held.leaseId };
    await expect(dispatch.renew(EDGE, held.id, renewal)).rejects.toThrow(/no longer this agent's/);
    const before = calls.holder;
    await dispatch.complete(EDGE, held.id, completion(held));
    expect(calls.holder - before).toBe(1);
  });
});
