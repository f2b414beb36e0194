import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_GROUPS_PER_BATCH, type ObservationBatch } from '../../src/contract/deployments.js';
import { eachDatabase, useTestDatabase } from '../helpers/databases.js';
import { controlPlane, digest, HOST, type ControlPlane } from './harness.js';

// What a runtime's agent may make the control plane do (threat model: a hostile runtime): batches are
// bounded in count, string length and bytes, a runtime in open intervals; each refusal is a 4xx that
// names the limit. And replicas of one runtime: one observer reports at a time (the observation lease).

const T0 = '2026-03-01T10:00:00.000Z';
const T1 = '2026-03-01T11:00:00.000Z';
const T2 = '2026-03-01T11:05:00.000Z';

const group = (n: number, extra: Record<string, unknown> = {}) => ({
  namespace: 'prod',
  workloadKind: 'Deployment',
  workloadName: `web-${n}`,
  application: 'shop',
  registry: HOST,
  repository: 'shop/web',
  digest: digest((n % 16).toString(16)),
  replicas: 1,
  firstStartedAt: T0,
  ...extra,
});

const batch = (observerId: string, sequence: number, b: Partial<ObservationBatch> = {}) => ({
  observerId,
  sequence,
  observedAt: T1,
  kind: 'delta',
  upserts: [],
  ...b,
});

describe.each(eachDatabase())('observation limits and the observer lease (%s)', (engine) => {
  const database = useTestDatabase(engine);
  let cp: ControlPlane;
  let edge: string;
  let clock = Date.parse('2026-03-01T12:00:00.000Z');
  beforeAll(async () => {
    cp = await controlPlane(database(), ['edge'], {
      leaseMs: 60_000,
      maxOpenPerRuntime: 20,
      now: () => new Date(clock),
    });
    edge = await cp.token(['runtime:edge']);
  });
  beforeEach(async () => {
    for (const t of ['deployment_intervals', 'deployment_observers'] as const)
      await database().db.deleteFrom(t).execute();
  });
  const post = (b: unknown) => cp.call('POST', '/runtimes/edge/observations', b, edge);
  const intervals = async () =>
    (await cp.call('GET', '/deployments?limit=500')).json.items as Array<Record<string, any>>;

  it('refuses oversized batches with a 4xx that names the limit, and applies nothing', async () => {
    const tooMany = await post(
      batch('obs-a', 1, { upserts: Array.from({ length: MAX_GROUPS_PER_BATCH + 1 }, (_, i) => group(i)) }),
    );
    expect(tooMany.status).toBe(400);
    expect(JSON.stringify(tooMany.json)).toMatch(/upserts.*500|500.*upserts/s);

    const longName = await post(
      batch('obs-a', 1, { upserts: [group(1, { workloadName: 'w'.repeat(254) })] }),
    );
    expect(longName.status).toBe(400);
    expect(JSON.stringify(longName.json)).toContain('workloadName');

    const manyContainers = await post(
      batch('obs-a', 1, {
        upserts: [group(1, { containers: Array.from({ length: 101 }, (_, i) => `c${i}`) })],
      }),
    );
    expect(manyContainers.status).toBe(400);
    expect(JSON.stringify(manyContainers.json)).toContain('containers');

    // Within the count, past the bytes: the body limit answers before anything is parsed.
    const huge = await post(
      batch('obs-a', 1, {
        upserts: Array.from({ length: 300 }, (_, i) => group(i, { image: `${HOST}/${'x'.repeat(1000)}` })),
      }),
    );
    expect(huge.status).toBe(413);
    expect(huge.json.error.message).toMatch(/larger than \d+ bytes/);
    expect(await intervals()).toEqual([]);
  });

  it('refuses a batch that would leave a runtime more open intervals than allowed, atomically', async () => {
    const ok = await post(batch('obs-a', 1, { upserts: Array.from({ length: 20 }, (_, i) => group(i)) }));
    expect(ok).toMatchObject({ status: 200, json: { applied: true, opened: 20 } });
    const over = await post(batch('obs-a', 2, { upserts: [group(20), group(3, { replicas: 7 })] }));
    expect(over.status).toBe(400);
    expect(over.json.error.message).toContain('more than 20');
    const items = await intervals();
    expect(items).toHaveLength(20);
    // Rolled back whole: the update in the refused batch did not land either.
    expect(items.find((i) => i.workloadName === 'web-3')?.replicas).toBe(1);
    // Updating what is open stays possible at the limit.
    expect((await post(batch('obs-a', 2, { upserts: [group(3, { replicas: 7 })] }))).json).toMatchObject({
      applied: true,
      updated: 1,
    });
  });

  it('counts open intervals after a batch’s removals, and a full state’s after its close: a rollout at the limit goes through', async () => {
    await post(batch('obs-a', 1, { upserts: Array.from({ length: 20 }, (_, i) => group(i)) }));
    const { replicas: _r, firstStartedAt: _f, ...key } = group(0);
    // One replaced by another, in one batch: never more than 20 open once the batch applied.
    const swap = await post(batch('obs-a', 2, { upserts: [group(20)], removals: [{ ...key, endedAt: T1 }] }));
    expect(swap).toMatchObject({ status: 200, json: { applied: true, opened: 1, closed: 1 } });
    // A full state in two parts naming 1..10 and 21..30 (a rollout of half): past the limit only until
    // its last part closes what it did not name.
    const half = Array.from({ length: 10 }, (_, i) => group(21 + i));
    const full = { kind: 'full' as const, observedAt: T2 };
    const first = await post(batch('obs-a', 3, { ...full, last: false, upserts: half }));
    expect(first).toMatchObject({ status: 200, json: { applied: true, opened: 10 } });
    const rest = Array.from({ length: 10 }, (_, i) => group(1 + i));
    const last = await post(batch('obs-a', 4, { ...full, last: true, upserts: rest }));
    expect(last).toMatchObject({ status: 200, json: { applied: true, closed: 10 } });
    expect((await intervals()).filter((i) => i.endedAt === undefined)).toHaveLength(20);
    // A full state whose own parts name more than the limit is still refused.
    const many = Array.from({ length: 21 }, (_, i) => group(100 + i));
    const over = await post(batch('obs-a', 5, { kind: 'full', observedAt: T2, last: false, upserts: many }));
    expect(over.status).toBe(400);
  });

  it('lets one observer of a runtime report at a time: another stands by, takes over on release or silence', async () => {
    const x = await post(batch('obs-x', 1, { upserts: [group(1), group(2)] }));
    expect(x.json).toMatchObject({ applied: true, opened: 2 });
    // Y lags: its full state lacks group 2 (and names a group X does not see yet). Standby: nothing ends.
    const y = await post(
      batch('obs-y', 1, { kind: 'full', last: true, observedAt: T2, upserts: [group(1)] }),
    );
    expect(y.json).toMatchObject({ applied: false, standby: true, duplicate: false });
    expect((await intervals()).filter((i) => i.endedAt === undefined)).toHaveLength(2);
    // X's next batches still apply (its sequence, not Y's, is the cursor).
    expect((await post(batch('obs-x', 2, { upserts: [group(2, { replicas: 2 })] }))).json.applied).toBe(true);
    expect((await post(batch('obs-x', 2, { upserts: [group(2, { replicas: 2 })] }))).json.duplicate).toBe(
      true,
    );

    // X goes silent longer than the lease: Y takes over, with its full state.
    clock += 61_000;
    const takeover = await post(
      batch('obs-y', 2, { kind: 'full', last: true, observedAt: T2, upserts: [group(1), group(2)] }),
    );
    expect(takeover.json).toMatchObject({ applied: true, opened: 0, closed: 0 });
    // Now X is the one standing by.
    expect((await post(batch('obs-x', 3, { upserts: [group(5)] }))).json.standby).toBe(true);
    // Y releases on stop: X takes over at once.
    expect((await post(batch('obs-y', 3, { release: true }))).json.applied).toBe(true);
    expect((await post(batch('obs-x', 4, { upserts: [group(5)] }))).json).toMatchObject({
      applied: true,
      opened: 1,
    });
    const items = await intervals();
    expect(items).toHaveLength(3);
    expect(items.every((i) => i.endedAt === undefined)).toBe(true);
  });
});
