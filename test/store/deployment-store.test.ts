import { beforeEach, describe, expect, it } from 'vitest';
import type { ObservedGroup } from '../../src/contract/deployments.js';
import { SqlDeploymentStore } from '../../src/store/sql-deployment-store.js';
import { eachDatabase, useTestDatabase } from '../helpers/databases.js';

const HOST = 'registry.example.com';
const group = (name: string, d: string, firstStartedAt: string, replicas = 1): ObservedGroup => ({
  namespace: 'prod',
  workloadKind: 'Deployment',
  workloadName: name,
  application: 'shop',
  registry: HOST,
  repository: 'shop/web',
  digest: `sha256:${d.repeat(64)}`,
  replicas,
  firstStartedAt,
});
const key = (g: ObservedGroup) => {
  const { replicas: _r, firstStartedAt: _f, ...k } = g;
  return k;
};

describe.each(eachDatabase())('deployment store on %s', (engine) => {
  const database = useTestDatabase(engine);
  let seq = 0;
  beforeEach(async () => {
    for (const t of ['deployment_intervals', 'deployment_observers', 'discovered_images'] as const)
      await database().db.deleteFrom(t).execute();
  });
  const store = () => new SqlDeploymentStore({ db: database().db });
  const batch = (b: Record<string, unknown>) =>
    ({
      observerId: 'obs-1',
      sequence: ++seq,
      removals: [],
      ...b,
    }) as never;
  const all = async () => (await store().list({}, { limit: 100 })).items;

  it('keeps the earliest start, counts replicas, and refuses a replay', async () => {
    const s = store();
    const first = batch({
      kind: 'delta',
      observedAt: '2026-01-01T10:05:00.000Z',
      upserts: [group('web', 'a', '2026-01-01T10:00:00.000Z', 2)],
    });
    expect(await s.apply('edge', first)).toMatchObject({ applied: true, opened: 1 });
    expect(await s.apply('edge', first)).toMatchObject({ applied: false, duplicate: true, opened: 0 });
    await s.apply(
      'edge',
      batch({
        kind: 'delta',
        observedAt: '2026-01-01T10:06:00.000Z',
        upserts: [group('web', 'a', '2026-01-01T10:03:00.000Z', 3)],
      }),
    );
    expect(await all()).toEqual([
      expect.objectContaining({
        firstSeenAt: '2026-01-01T10:00:00.000Z',
        lastSeenAt: '2026-01-01T10:06:00.000Z',
        replicas: 3,
      }),
    ]);
  });

  it('ends an interval once; a later start of the same digest is a new interval, an earlier one reopens', async () => {
    const s = store();
    const g = group('web', 'a', '2026-01-01T10:00:00.000Z');
    await s.apply('edge', batch({ kind: 'delta', observedAt: '2026-01-01T10:01:00.000Z', upserts: [g] }));
    const removal = { ...key(g), endedAt: '2026-01-01T11:00:00.000Z' };
    expect(
      await s.apply(
        'edge',
        batch({ kind: 'delta', observedAt: '2026-01-01T11:00:05.000Z', upserts: [], removals: [removal] }),
      ),
    ).toMatchObject({ closed: 1 });
    expect(
      await s.apply(
        'edge',
        batch({
          kind: 'delta',
          observedAt: '2026-01-01T11:00:06.000Z',
          upserts: [],
          removals: [{ ...removal, endedAt: '2026-01-01T11:30:00.000Z' }],
        }),
      ),
    ).toMatchObject({ closed: 0 });
    expect((await all())[0]).toMatchObject({ endedAt: '2026-01-01T11:00:00.000Z' });
    // Running since before the end: it never stopped (a wrong close), so the interval reopens.
    await s.apply('edge', batch({ kind: 'delta', observedAt: '2026-01-01T11:10:00.000Z', upserts: [g] }));
    expect(await all()).toHaveLength(1);
    expect((await all())[0]!.endedAt).toBeUndefined();
    await s.apply(
      'edge',
      batch({ kind: 'delta', observedAt: '2026-01-01T12:00:00.000Z', upserts: [], removals: [removal] }),
    );
    // Started after the end: a rollback to the same digest is a second deployment.
    await s.apply(
      'edge',
      batch({
        kind: 'delta',
        observedAt: '2026-01-02T09:00:00.000Z',
        upserts: [group('web', 'a', '2026-01-02T08:00:00.000Z')],
      }),
    );
    expect((await all()).map((i) => [i.firstSeenAt, i.endedAt ?? null])).toEqual([
      ['2026-01-02T08:00:00.000Z', null],
      ['2026-01-01T10:00:00.000Z', '2026-01-01T11:00:00.000Z'],
    ]);
  });

  it('closes, after the last part of a full state, what no part named — on that runtime only', async () => {
    const s = store();
    await s.apply(
      'edge',
      batch({
        kind: 'delta',
        observedAt: '2026-01-01T10:00:00.000Z',
        upserts: [
          group('a', 'a', '2026-01-01T09:00:00.000Z'),
          group('b', 'b', '2026-01-01T09:00:00.000Z'),
          group('c', 'c', '2026-01-01T09:00:00.000Z'),
        ],
      }),
    );
    await s.apply(
      'other',
      batch({
        observerId: 'obs-2',
        kind: 'delta',
        observedAt: '2026-01-01T10:00:00.000Z',
        upserts: [group('z', 'd', '2026-01-01T09:00:00.000Z')],
      }),
    );
    const at = '2026-01-01T12:00:00.000Z';
    expect(
      await s.apply(
        'edge',
        batch({
          kind: 'full',
          last: false,
          observedAt: at,
          upserts: [group('a', 'a', '2026-01-01T09:00:00.000Z')],
        }),
      ),
    ).toMatchObject({ closed: 0 });
    expect(
      await s.apply(
        'edge',
        batch({
          kind: 'full',
          last: true,
          observedAt: at,
          upserts: [group('b', 'b', '2026-01-01T09:00:00.000Z')],
        }),
      ),
    ).toMatchObject({ closed: 1 });
    const items = await all();
    expect(items.filter((i) => i.endedAt).map((i) => [i.workloadName, i.endedAt])).toEqual([['c', at]]);
    expect(items.find((i) => i.runtime === 'other')?.endedAt).toBeUndefined();
  });

  it('applies a batch of 500 groups in one go as one-at-a-time upserts would', async () => {
    const s = store();
    const d = (n: number) => n.toString(16).padStart(64, '0');
    const many = (n: number, replicas: number, start: string) =>
      Array.from({ length: n }, (_, i) => ({
        ...group(`w${i}`, 'x', start, replicas),
        digest: `sha256:${d(i)}`,
      }));
    const t = '2026-01-01T10:00:00.000Z';
    // The same key twice in one batch: one interval, the later group's replicas, the earlier start.
    const first = [...many(499, 1, t), { ...many(1, 7, '2026-01-01T09:00:00.000Z')[0]! }];
    expect(await s.apply('edge', batch({ kind: 'full', observedAt: t, upserts: first }))).toMatchObject({
      opened: 499,
      updated: 1,
      closed: 0,
    });
    await s.apply(
      'other',
      batch({ observerId: 'obs-2', kind: 'delta', observedAt: t, upserts: many(3, 1, t) }),
    );
    const at = '2026-01-01T12:00:00.000Z';
    // A full state naming the first 400 only: 400 updated (more replicas), 99 closed; the other runtime's
    // intervals of the same keys stay as they were.
    expect(
      await s.apply('edge', batch({ kind: 'full', last: true, observedAt: at, upserts: many(400, 2, t) })),
    ).toMatchObject({ opened: 0, updated: 400, closed: 99 });
    const items = (await store().list({ runtime: 'edge' }, { limit: 500 })).items;
    expect(items).toHaveLength(499);
    const w0 = items.find((i) => i.workloadName === 'w0')!;
    expect(w0).toMatchObject({ replicas: 2, firstSeenAt: '2026-01-01T09:00:00.000Z', lastSeenAt: at });
    expect(w0.endedAt).toBeUndefined();
    expect(items.filter((i) => i.endedAt === at)).toHaveLength(99);
    expect(items.filter((i) => i.endedAt === undefined && i.replicas === 2)).toHaveLength(400);
    const other = (await store().list({ runtime: 'other' }, { limit: 10 })).items;
    expect(other.map((i) => [i.replicas, i.lastSeenAt, i.endedAt ?? null])).toEqual([
      [1, t, null],
      [1, t, null],
      [1, t, null],
    ]);
    // Back up after the close (started after it): new intervals, the closed ones stay closed.
    const back = '2026-01-01T13:00:00.000Z';
    expect(
      await s.apply(
        'edge',
        batch({ kind: 'delta', observedAt: back, upserts: many(450, 1, back).slice(400) }),
      ),
    ).toMatchObject({ opened: 50, updated: 0 });
    expect((await store().list({ runtime: 'edge' }, { limit: 1000 })).items).toHaveLength(549);
  });

  it('records a discovered digest once', async () => {
    const s = store();
    const d = {
      registry: HOST,
      repository: 'x/y',
      digest: `sha256:${'e'.repeat(64)}`,
      runtime: 'edge',
      discoveredAt: '2026-01-01T00:00:00.000Z',
    };
    expect(await s.recordDiscovered({ ...d, reportId: 'rep_1', integration: 'ecr' })).toBe(true);
    expect(await s.recordDiscovered({ ...d, reportId: 'rep_2' })).toBe(false);
    expect(await s.discovered(HOST, 'x/y', d.digest)).toMatchObject({
      reportId: 'rep_1',
      integration: 'ecr',
    });
  });
});
