import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eachDatabase, useTestDatabase } from '../helpers/databases.js';
import {
  cluster,
  controlPlane,
  deployment,
  digest,
  eventually,
  observe,
  PATHS,
  pod,
  replicaSet,
  type ControlPlane,
} from './harness.js';

// Replicas of one runtime's agent each run an observer of the same cluster (one runtime = one cluster).
// Their views differ by timing: one sees a pod go before the other, one debounces longer. One reports at a
// time (the observation lease); the other stands by and takes over on release with a full state. Across
// interleaved full states and deltas of both: no interval lost, none duplicated, none ended and reopened.

const A = digest('a');
const B = digest('b');
const T0 = '2026-03-01T10:00:00.000Z';
const T1 = '2026-03-01T11:00:00.000Z';

describe.each(eachDatabase())('two observers of one runtime (%s)', (engine) => {
  const database = useTestDatabase(engine);
  let cp: ControlPlane;
  let edge: string;
  let k: Awaited<ReturnType<typeof cluster>>;
  const stops: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    cp = await controlPlane(database());
    edge = await cp.token(['runtime:edge']);
  });
  beforeEach(async () => {
    for (const t of ['deployment_intervals', 'deployment_observers'] as const)
      await database().db.deleteFrom(t).execute();
    k = await cluster();
  });
  afterEach(async () => {
    for (const s of stops.splice(0)) await s();
    await k.stop();
  });
  const intervals = async () =>
    (await cp.call('GET', '/deployments?limit=500')).json.items as Array<Record<string, any>>;

  it('neither loses, duplicates nor flaps an interval', async () => {
    const api = k.api;
    api.apply(PATHS.deployments, deployment('prod', 'web', 'shop'));
    api.apply(PATHS.replicasets, replicaSet('prod', 'web-1', 'web'));
    api.apply(PATHS.replicasets, replicaSet('prod', 'web-2', 'web'));
    const webPod = (n: string, rs: string, d: string, t: string) =>
      pod('prod', n, { kind: 'ReplicaSet', name: rs }, { repository: 'shop/web', digest: d }, t);
    api.apply(PATHS.pods, webPod('web-1-a', 'web-1', A, T0));
    api.apply(PATHS.pods, webPod('web-1-b', 'web-1', A, T0));

    // X ends a group 150 ms after its last pod; Y (a replica whose view lags) only after 10 s.
    const x = observe(k.kubeconfig, cp, edge, 'edge', { heartbeatMs: 100 });
    stops.push(x.stop);
    await eventually(async () => expect(await intervals()).toHaveLength(1), 'X reports A');
    const y = observe(k.kubeconfig, cp, edge, 'edge', { heartbeatMs: 100, endDebounceMs: 10_000 });
    stops.push(y.stop);
    await eventually(async () => expect(y.observer.stats().standby).toBe(true), 'Y stands by');

    // A rolling update A → B. X sees A gone and ends it; Y still counts A as running (debounce).
    api.apply(PATHS.pods, webPod('web-2-a', 'web-2', B, T1));
    api.delete(PATHS.pods, 'prod', 'web-1-a');
    api.apply(PATHS.pods, webPod('web-2-b', 'web-2', B, T1));
    api.delete(PATHS.pods, 'prod', 'web-1-b');
    await eventually(async () => {
      const list = await intervals();
      expect(list.find((i) => i.digest === A)?.endedAt).toBeDefined();
      expect(list.find((i) => i.digest === B)?.replicas).toBe(2);
    }, 'A ended, B running');
    // Full states from both, interleaved with the heartbeats: Y's (which still names A) is not applied.
    y.observer.resync();
    x.observer.resync();
    await eventually(
      async () => expect(x.batches.filter((b) => b.kind === 'full').length).toBeGreaterThan(1),
      'X full state',
    );
    await eventually(async () => expect(y.observer.stats().fullStates).toBe(0), 'Y full state refused');

    // X stops (a rolling update of the agent): Y takes over with its full state; A stays ended.
    await x.stop();
    await eventually(async () => expect(y.observer.stats().standby).toBe(false), 'Y takes over');
    await eventually(async () => expect(y.observer.stats().fullStates).toBe(1), 'Y full state applied');
    api.apply(PATHS.pods, webPod('web-2-c', 'web-2', B, T1));
    await eventually(
      async () => expect((await intervals()).find((i) => i.digest === B)?.replicas).toBe(3),
      'Y reports a change',
    );
    // X comes back (a new observer): it stands by while Y reports.
    const x2 = observe(k.kubeconfig, cp, edge, 'edge', { heartbeatMs: 100 });
    stops.push(x2.stop);
    await eventually(async () => expect(x2.observer.stats().standby).toBe(true), 'X2 stands by');

    const final = await intervals();
    expect(final.map((i) => [i.digest, i.endedAt === undefined]).sort()).toEqual([
      [A, false],
      [B, true],
    ]);
    const results = [...x.results, ...y.results, ...x2.results];
    // Each interval opened once, A ended once: nothing was closed wrongly and reopened, or opened twice.
    expect(results.reduce((n, r) => n + r.opened, 0)).toBe(2);
    expect(results.reduce((n, r) => n + r.closed, 0)).toBe(1);
  });
});
