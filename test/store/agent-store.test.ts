import { beforeEach, describe, expect, it } from 'vitest';
import type { ImageReportInput } from '../../src/contract/images.js';
import { FakeReportStore } from '../../src/store/fake-report-store.js';
import type { ReportStore } from '../../src/store/report-store.js';
import { REGISTRATION_RETRY_MS, SqlAgentStore } from '../../src/store/sql-agent-store.js';
import { SqlReportStore } from '../../src/store/sql-report-store.js';
import { hashToken } from '../../src/store/token-store.js';
import { eachDatabase, useTestDatabase, type TestDatabase } from '../helpers/databases.js';

// Issue 11 in the store: jobs claimed per runtime (agents take only their runtime's reports), handed back
// on shutdown without using up an attempt, and one-time, expiring registration tokens.

function manualClock(start = Date.parse('2025-01-01T00:00:00.000Z')) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

const input: ImageReportInput = { image: 'registry.example.com/team/app:1.0', registryIntegration: 'ecr' };

type Subject = { reports: (now: () => Date) => ReportStore; database?: () => TestDatabase };

const subjects: [string, () => Subject][] = [
  ['fake', () => ({ reports: (now) => new FakeReportStore({ now }) })],
  ...eachDatabase().map((engine): [string, () => Subject] => [
    engine,
    () => {
      const database = useTestDatabase(engine);
      return { reports: (now) => new SqlReportStore({ ...database(), now }), database };
    },
  ]),
];

describe.each(subjects)('report jobs per runtime (%s)', (_label, setup) => {
  const subject = setup();
  beforeEach(async () => {
    if (subject.database) await subject.database().db.deleteFrom('image_reports').execute();
  });

  it("claims only the listed runtimes' jobs; an empty list claims nothing", async () => {
    const store = subject.reports(manualClock().now);
    const a = await store.enqueue(input, { runtime: 'eks-a' });
    const b = await store.enqueue(input, { runtime: 'eks-b' });
    expect(await store.claim({ owner: 'w', leaseMs: 1000, runtimes: [] })).toBeNull();
    expect((await store.claim({ owner: 'w', leaseMs: 1000, runtimes: ['eks-b'] }))?.id).toBe(b.id);
    expect(await store.claim({ owner: 'w', leaseMs: 1000, runtimes: ['eks-b', 'local'] })).toBeNull();
    expect((await store.claim({ owner: 'w', leaseMs: 1000 }))?.id).toBe(a.id);
  });

  it('a released job is queued again at once, its attempt not counted; only the lease holder may release', async () => {
    const store = subject.reports(manualClock().now);
    const { id } = await store.enqueue(input, { runtime: 'eks-a' });
    const job = await store.claim({ owner: 'agent-1', leaseMs: 60_000, runtimes: ['eks-a'] });
    expect(job?.attempts).toBe(1);
    expect(await store.release(id, 'agent-2')).toBe(false);
    expect(await store.holder(id)).toEqual({ status: 'running', runtime: 'eks-a', owner: 'agent-1' });
    expect(await store.release(id, 'agent-1')).toBe(true);
    expect((await store.get(id))?.status).toBe('queued');
    const again = await store.claim({ owner: 'agent-2', leaseMs: 60_000, runtimes: ['eks-a'] });
    expect(again?.attempts).toBe(1);
    expect(await store.succeed(id, 'agent-2', { imageId: 'img', digest: 'sha256:' + 'a'.repeat(64) })).toBe(
      true,
    );
    // The owner stays recorded after the end: a repeated completion is recognised as the same one.
    expect(await store.holder(id)).toEqual({ status: 'succeeded', runtime: 'eks-a', owner: 'agent-2' });
  });
});

describe.each(eachDatabase())('agent store (%s)', (engine) => {
  const database = useTestDatabase(engine);

  it('a registration token registers once, until it expires, and only its hash is stored', async () => {
    const clock = manualClock();
    const store = new SqlAgentStore({ db: database().db, now: clock.now });
    const { token, expiresAt } = await store.createRegistration('eks-a', 60_000);
    expect(expiresAt).toBe('2025-01-01T00:01:00.000Z');
    const rows = await database().db.selectFrom('agent_registrations').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(rows.map((r) => r.token_hash)).toContain(hashToken(token));
    const [first, second] = await Promise.all([
      store.consumeRegistration(token),
      store.consumeRegistration(token),
    ]);
    expect([first, second].filter((r) => r.ok)).toEqual([
      { ok: true, id: expect.stringMatching(/^reg_/), runtime: 'eks-a' },
    ]);
    expect(await store.consumeRegistration(token)).toEqual({ ok: false, reason: 'used' });

    const late = await store.createRegistration('eks-a', 1000);
    clock.advance(1000);
    expect(await store.consumeRegistration(late.token)).toEqual({ ok: false, reason: 'expired' });
    expect(await store.consumeRegistration('itreg_' + 'x'.repeat(43))).toEqual({
      ok: false,
      reason: 'unknown',
    });
    expect(await store.consumeRegistration('not a token')).toEqual({ ok: false, reason: 'unknown' });
  });

  it('a used token is a retry only for the same agent id and recipient, within the retry window', async () => {
    const clock = manualClock();
    const store = new SqlAgentStore({ db: database().db, now: clock.now });
    const { token } = await store.createRegistration('eks-a', 3_600_000);
    const agent = { agentId: 'agent-1', recipient: 'age1first' };
    const first = await store.consumeRegistration(token, agent);
    if (!first.ok) throw new Error('first use refused');
    expect(first.retry).toBeUndefined();
    // The answer was lost before the credential was recorded: the retry knows of none.
    const early = await store.consumeRegistration(token, agent);
    expect(early).toEqual({ ok: true, id: first.id, runtime: 'eks-a', retry: { previous: null } });
    expect(await store.recordCredential(first.id, 'tok_1', null)).toBe(true);
    // Compare and set: an attempt that read "none" loses to the one that recorded first.
    expect(await store.recordCredential(first.id, 'tok_x', null)).toBe(false);
    expect(await store.consumeRegistration(token, agent)).toEqual({
      ok: true,
      id: first.id,
      runtime: 'eks-a',
      retry: { previous: 'tok_1' },
    });
    expect(await store.recordCredential(first.id, 'tok_2', 'tok_1')).toBe(true);
    for (const other of [
      { agentId: 'agent-2', recipient: 'age1first' },
      { agentId: 'agent-1', recipient: 'age1other' },
      { agentId: '', recipient: '' },
    ]) {
      expect(await store.consumeRegistration(token, other)).toEqual({ ok: false, reason: 'used' });
    }
    expect(await store.consumeRegistration(token)).toEqual({ ok: false, reason: 'used' });
    clock.advance(REGISTRATION_RETRY_MS);
    expect(await store.consumeRegistration(token, agent)).toEqual({ ok: false, reason: 'used' });
  });

  it('records agents, keeps their AWS identity when a claim does not repeat it, lists them per runtime', async () => {
    const clock = manualClock();
    const store = new SqlAgentStore({ db: database().db, now: clock.now });
    await store.seen({ id: 'a1', runtime: 'eks-a', version: '0.2.0', awsArn: 'arn:aws:iam::1:user/a' });
    clock.advance(5000);
    await store.seen({ id: 'a1', runtime: 'eks-a', version: '0.2.1' });
    await store.seen({ id: 'b1', runtime: 'eks-b', version: '0.2.0', awsArn: null });
    expect(await store.list('eks-a')).toEqual([
      {
        id: 'a1',
        runtime: 'eks-a',
        version: '0.2.1',
        awsArn: 'arn:aws:iam::1:user/a',
        registeredAt: '2025-01-01T00:00:00.000Z',
        lastSeenAt: '2025-01-01T00:00:05.000Z',
        leftAt: null,
      },
    ]);
    expect((await store.list()).map((a) => a.id).sort()).toEqual(['a1', 'b1']);
  });

  it('marks an agent stopped when it leaves, only in its own runtime, until it is seen again', async () => {
    const clock = manualClock();
    const store = new SqlAgentStore({ db: database().db, now: clock.now });
    await store.seen({ id: 'a1', runtime: 'eks-a', version: '0.2.0' });
    expect(await store.leave('a1', 'eks-b')).toBe(false);
    expect(await store.leave('nobody', 'eks-a')).toBe(false);
    clock.advance(1000);
    expect(await store.leave('a1', 'eks-a')).toBe(true);
    expect((await store.list('eks-a'))[0]).toMatchObject({
      lastSeenAt: '2025-01-01T00:00:00.000Z',
      leftAt: '2025-01-01T00:00:01.000Z',
    });
    await store.seen({ id: 'a1', runtime: 'eks-a', version: '0.2.0' });
    expect((await store.list('eks-a'))[0]?.leftAt).toBeNull();
  });

  it("a claim of runtime B under runtime A's agent id leaves A's agent as it was (stopped stays stopped)", async () => {
    const clock = manualClock();
    const store = new SqlAgentStore({ db: database().db, now: clock.now });
    await store.seen({
      id: 'shared-id',
      runtime: 'eks-a',
      version: '0.2.0',
      awsArn: 'arn:aws:iam::1:user/a',
    });
    expect(await store.leave('shared-id', 'eks-a')).toBe(true);
    const before = await store.list('eks-a');
    clock.advance(1000);
    await store.seen({
      id: 'shared-id',
      runtime: 'eks-b',
      version: '9.9.9',
      awsArn: 'arn:aws:iam::2:user/b',
    });
    expect(await store.list('eks-a')).toEqual(before);
    expect((await store.list('eks-b')).map((a) => a.id)).not.toContain('shared-id');
  });

  it('keeps a runtime’s agents bounded: the newest 100, none older than a week but the newest', async () => {
    const clock = manualClock();
    const store = new SqlAgentStore({ db: database().db, now: clock.now });
    for (let i = 0; i < 105; i++) {
      await store.seen({ id: `a${String(i).padStart(3, '0')}`, runtime: 'eks-a', version: '0.2.0' });
      clock.advance(1000);
    }
    await store.seen({ id: 'b1', runtime: 'eks-b', version: '0.2.0' });
    await store.prune('eks-a');
    const kept = (await store.list('eks-a')).map((a) => a.id);
    expect(kept).toHaveLength(100);
    expect(kept[0]).toBe('a104');
    expect(kept).not.toContain('a004');
    expect(kept).toContain('a005');
    // A week later only the newest stays, and it says when the runtime was last served; eks-b is untouched.
    clock.advance(8 * 24 * 3600_000);
    await store.prune('eks-a');
    expect((await store.list('eks-a')).map((a) => a.id)).toEqual(['a104']);
    expect((await store.list('eks-b')).map((a) => a.id)).toEqual(['b1']);
  });
});
