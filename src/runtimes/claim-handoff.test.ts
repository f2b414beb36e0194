import { describe, expect, it } from 'vitest';
import { AGENT_PROTOCOL } from '../contract/agent-protocol.js';
import { emptySnapshot } from '../config-repo/snapshot.js';
import { Redactor } from '../logging/redactor.js';
import { FakeReportStore } from '../store/fake-report-store.js';
import type { SqlAgentStore } from '../store/sql-agent-store.js';
import type { Principal } from '../store/token-store.js';
import { AgentDispatch } from './agent-dispatch.js';
import { ReportService } from '../enrichment/report-service.js';
import { UnavailableError } from '../domain/errors.js';
import { intakeSnapshot } from '../../test/helpers/intake-snapshot.js';

// A report accepted while an agent's claim waits here is written leased to that claim and handed over
// (ADR 0039). What must hold when the claim's caller leaves, or nothing is written for it.

const ADMIN: Principal = { id: 'tok_admin', name: 'admin', scopes: ['admin'] };
const EDGE: Principal = { id: 'tok_edge', name: 'runtime edge', scopes: ['runtime:edge'] };
const input = { image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:1.0' };

function setup() {
  const reports = new FakeReportStore();
  const dispatch = new AgentDispatch({
    repo: { snapshot: () => emptySnapshot('c0ffee') },
    reports,
    images: { recordEnrichment: () => Promise.reject(new Error('not used')) },
    agents: {
      seen: () => Promise.resolve(),
      prune: () => Promise.resolve(),
      list: () => Promise.resolve([]),
    } as unknown as SqlAgentStore,
    redactor: new Redactor(),
    pollMs: 60_000,
  });
  return { reports, dispatch };
}

const claimOf = (agentId: string, waitMs: number) => ({
  protocol: AGENT_PROTOCOL,
  runtime: 'edge',
  agentId,
  version: '0.2.0',
  waitMs,
});

/** Lets a claim make its first look and start waiting. */
const settle = () => new Promise((r) => setTimeout(r, 20));

describe('hand-over of a report to a waiting claim', () => {
  it('hands the report to the longest-waiting claim, leased to its agent; no other claim is woken', async () => {
    const { reports, dispatch } = setup();
    const first = dispatch.claim(EDGE, claimOf('agent-1', 5000));
    await settle();
    const gone = new AbortController();
    let secondEnded = false;
    const second = dispatch
      .claim(EDGE, claimOf('agent-2', 5000), gone.signal)
      .finally(() => (secondEnded = true));
    await settle();
    const offer = dispatch.offer('edge');
    expect(offer?.lease.owner).toMatch(/^agent:edge:agent-1:/);
    const written = await reports.enqueue(input, { runtime: 'edge', lease: offer!.lease });
    offer!.deliver(written.claimed!);
    const answer = await first;
    expect(answer.jobs).toMatchObject([{ kind: 'report', id: written.id, leaseId: offer!.lease.owner }]);
    // The other claim was not woken for it: it still waits (until its caller leaves).
    await settle();
    expect(secondEnded).toBe(false);
    gone.abort();
    expect((await second).jobs).toEqual([]);
    expect(dispatch.offer('edge')).toBeNull();
  });

  it('a claim whose caller left while its report was written hands it back; the next claim takes it', async () => {
    const { reports, dispatch } = setup();
    const left = new AbortController();
    const claim = dispatch.claim(EDGE, claimOf('agent-1', 5000), left.signal);
    await settle();
    const offer = dispatch.offer('edge')!;
    // The caller goes while the INSERT is on its way: the claim still waits for the hand-over.
    left.abort();
    const written = await reports.enqueue(input, { runtime: 'edge', lease: offer.lease });
    offer.deliver(written.claimed!);
    expect((await claim).jobs).toEqual([]);
    expect(await reports.holder(written.id)).toMatchObject({ status: 'queued' });
    const next = await dispatch.claim(EDGE, claimOf('agent-2', 0));
    expect(next.jobs).toMatchObject([{ id: written.id }]);
  });

  it('an intake whose INSERT fails gives the claim back: it looks, waits on, and can be set aside again', async () => {
    const { reports, dispatch } = setup();
    const service = new ReportService({
      reports: Object.assign(Object.create(reports) as FakeReportStore, {
        enqueue: () => Promise.reject(new UnavailableError('the database is down')),
      }),
      repo: { snapshot: () => intakeSnapshot(['edge']) },
      localRuntime: undefined,
      handoff: (runtime) => dispatch.offer(runtime),
    });
    const claim = dispatch.claim(EDGE, claimOf('agent-1', 400));
    await settle();
    await expect(service.accept({ ...input, runtime: 'edge' }, ADMIN)).rejects.toThrow(/database is down/);
    await settle();
    const again = dispatch.offer('edge');
    expect(again).not.toBeNull();
    again!.cancel();
    expect((await claim).jobs).toEqual([]);
  });

  it('a cancelled hand-over (nothing written for it) makes the claim look, then wait on', async () => {
    const { reports, dispatch } = setup();
    const claim = dispatch.claim(EDGE, claimOf('agent-1', 400));
    await settle();
    const offer = dispatch.offer('edge')!;
    // Written without the lease (as an idempotent replay would be): the claim's look finds it.
    const written = await reports.enqueue(input, { runtime: 'edge' });
    offer.cancel();
    expect((await claim).jobs).toMatchObject([{ id: written.id }]);
  });
});
