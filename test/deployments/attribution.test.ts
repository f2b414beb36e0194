import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/databases.js';
import {
  cluster,
  controlPlane,
  digest,
  eventually,
  HOST,
  observe,
  PATHS,
  pod,
  replicaSet,
  type ControlPlane,
} from './harness.js';
import { enrichedImage } from '../helpers/enrichment-record.js';

// Attribution cases of issue 13's Deliver 1 and 2 not covered by the scenarios in tracking.test.ts: an
// Argo Rollout owning its ReplicaSets, init containers (their resolved digest counts too), the instance
// label when there is no tracking annotation, a pod replaced by one of the same digest within the end
// debounce (the deployment does not end), and the images list's `runtime=` filter.

const MAIN = digest('a');
const INIT = digest('b');
const T0 = '2026-03-01T10:00:00.000Z';
const T1 = '2026-03-01T10:05:00.000Z';

describe('attribution through the stand-in', () => {
  const database = useTestDatabase('sqlite');
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
  const intervals = async (q = '') =>
    (await cp.call('GET', `/deployments?limit=500${q}`)).json.items as Array<Record<string, any>>;

  it('follows a Rollout, counts init containers, reads the instance label', async () => {
    const api = k.api;
    api.installCrd(PATHS.rollouts);
    api.apply(PATHS.rollouts, {
      metadata: { name: 'checkout', namespace: 'prod', labels: { 'app.kubernetes.io/instance': 'payments' } },
    });
    api.apply(PATHS.replicasets, {
      metadata: {
        name: 'checkout-7f9',
        namespace: 'prod',
        ownerReferences: [
          { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'checkout', controller: true },
        ],
      },
    });
    const p = pod(
      'prod',
      'checkout-7f9-x',
      { kind: 'ReplicaSet', name: 'checkout-7f9' },
      { repository: 'pay/checkout', digest: MAIN },
      T1,
    );
    (p['status'] as Record<string, unknown>)['initContainerStatuses'] = [
      {
        name: 'migrate',
        image: `${HOST}/pay/migrate:1`,
        imageID: `docker-pullable://${HOST}/pay/migrate@${INIT}`,
        // A sidecar-style init container (restartPolicy: Always) runs alongside the main one.
        state: { running: { startedAt: T0 } },
      },
    ];
    api.apply(PATHS.pods, p);
    const o = observe(k.kubeconfig, cp, edge);
    stops.push(o.stop);
    const items = await eventually(async () => {
      const list = await intervals();
      expect(list).toHaveLength(2);
      return list;
    }, 'both digests');
    for (const i of items)
      expect(i).toMatchObject({ workloadKind: 'Rollout', workloadName: 'checkout', application: 'payments' });
    expect(items.map((i) => [i.repository, i.digest, i.firstSeenAt]).sort()).toEqual([
      ['pay/checkout', MAIN, T1],
      ['pay/migrate', INIT, T0],
    ]);
    const { imageId } = await cp.images.recordEnrichment({
      image: enrichedImage({ repository: 'pay/checkout', digest: MAIN, tags: ['1'] }),
      build: { runtime: 'edge', reportId: 'rep_1', reportedAt: T0 },
    });
    const ids = async (q: string) => (await cp.call('GET', `/images?${q}`)).json.items.map((i: any) => i.id);
    expect(await ids('deployed=true&runtime=edge')).toEqual([imageId]);
    expect(await ids('deployed=true&runtime=other')).toEqual([]);
  });

  it('does not end a deployment whose pod is replaced by one of the same digest within the debounce', async () => {
    const api = k.api;
    api.apply(PATHS.deployments, { metadata: { name: 'web', namespace: 'prod' } });
    api.apply(PATHS.replicasets, replicaSet('prod', 'web-1', 'web'));
    const webPod = (name: string, t: string) =>
      pod('prod', name, { kind: 'ReplicaSet', name: 'web-1' }, { repository: 'shop/web', digest: MAIN }, t);
    api.apply(PATHS.pods, webPod('web-1-a', T0));
    const o = observe(k.kubeconfig, cp, edge, 'edge', { endDebounceMs: 60_000 });
    stops.push(o.stop);
    await eventually(async () => expect(await intervals()).toHaveLength(1), 'running');
    // The pod is evicted; its replacement starts a moment later.
    api.delete(PATHS.pods, 'prod', 'web-1-a');
    await eventually(async () => expect(o.observer.stats().groups).toBe(0), 'seen gone');
    api.apply(PATHS.pods, webPod('web-1-b', T1));
    await eventually(async () => expect(o.observer.stats().groups).toBe(1), 'replacement seen');
    o.observer.resync();
    await eventually(async () => expect(o.batches.filter((b) => b.kind === 'full').length).toBe(2), 'resync');
    const [only, ...rest] = await intervals();
    expect(rest).toEqual([]);
    expect(only).toMatchObject({ firstSeenAt: T0, replicas: 1 });
    expect(only!.endedAt).toBeUndefined();
    expect(o.results.reduce((n, r) => n + r.closed, 0)).toBe(0);
  });
});
