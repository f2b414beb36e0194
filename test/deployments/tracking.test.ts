import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EnrichedImage, Platform } from '../../src/contract/images.js';
import { eachDatabase, useTestDatabase } from '../helpers/databases.js';
import {
  application,
  cluster,
  controlPlane,
  deployment,
  digest,
  eventually,
  HOST,
  observe,
  PATHS,
  pod,
  replicaSet,
  type ControlPlane,
} from './harness.js';

// Issue 13's scenarios end to end: a stand-in cluster (test/peers/kube-apiserver.ts) watched by the
// observer through @kubernetes/client-node, posting to the control plane's observation endpoint, which
// keeps intervals in the real store on both engines.

const A = digest('a');
const B = digest('b');
const T0 = '2026-03-01T10:00:00.000Z';
const T1 = '2026-03-01T11:00:00.000Z';

function image(repository: string, d: string, tags: string[], platforms: Platform[] = []): EnrichedImage {
  return {
    registry: HOST,
    repository,
    digest: d,
    mediaType: platforms.length
      ? 'application/vnd.oci.image.index.v1+json'
      : 'application/vnd.oci.image.manifest.v1+json',
    tags,
    size: 100,
    platforms,
    layers: [],
    labels: {},
    annotations: {},
    referrers: [],
    registryType: 'registry.ecr',
  };
}

async function record(cp: ControlPlane, img: EnrichedImage, sha: string, commitTime: string) {
  const r = await cp.images.recordEnrichment({
    image: img,
    build: {
      runtime: 'edge',
      reportId: `rep_${sha.slice(0, 8)}`,
      reportedAt: commitTime,
      workflowName: 'ci',
    },
    git: { repo: 'acme/shop', branch: 'main', sha, time: commitTime },
  });
  return r.imageId;
}

describe.each(eachDatabase())('deployment tracking (%s)', (engine) => {
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
    const db = database().db;
    for (const t of ['deployment_intervals', 'deployment_observers', 'discovered_images'] as const)
      await db.deleteFrom(t).execute();
    k = await cluster();
  });
  afterEach(async () => {
    for (const s of stops.splice(0)) await s();
    await k.stop();
  });

  const intervals = async (q = '') =>
    (await cp.call('GET', `/deployments?limit=500${q}`)).json.items as Array<Record<string, any>>;

  it('follows a rolling update: A [t0, t2], B [t1, –], in the right application; image detail and lead time', async () => {
    const commitB = '2026-03-01T10:30:00.000Z';
    const idA = await record(cp, image('shop/web', A, ['1.0']), '1'.repeat(40), '2026-03-01T09:00:00.000Z');
    const idB = await record(cp, image('shop/web', B, ['1.1']), '2'.repeat(40), commitB);
    const api = k.api;
    api.installCrd(PATHS.applications);
    api.apply(PATHS.applications, application('shop', 'abc123'));
    api.apply(PATHS.deployments, deployment('prod', 'web', 'shop'));
    api.apply(PATHS.replicasets, replicaSet('prod', 'web-v1', 'web'));
    for (const i of [1, 2, 3])
      api.apply(
        PATHS.pods,
        pod(
          'prod',
          `web-v1-${i}`,
          { kind: 'ReplicaSet', name: 'web-v1' },
          { repository: 'shop/web', digest: A },
          T0,
        ),
      );

    const o = observe(k.kubeconfig, cp, edge);
    stops.push(o.stop);
    await eventually(async () => {
      const [a] = await intervals();
      expect(a).toMatchObject({ digest: A, replicas: 3, firstSeenAt: T0, application: 'shop' });
    }, 'A running');

    // The rolling update: one B pod up, one A pod down, three times.
    api.apply(PATHS.replicasets, replicaSet('prod', 'web-v2', 'web'));
    let lastDelete = '';
    for (const i of [1, 2, 3]) {
      api.apply(
        PATHS.pods,
        pod(
          'prod',
          `web-v2-${i}`,
          { kind: 'ReplicaSet', name: 'web-v2' },
          { repository: 'shop/web', digest: B },
          i === 1 ? T1 : '2026-03-01T11:01:00.000Z',
        ),
      );
      await new Promise((r) => setTimeout(r, 40));
      lastDelete = new Date().toISOString();
      api.delete(PATHS.pods, 'prod', `web-v1-${i}`);
    }
    const list = await eventually(async () => {
      const items = await intervals();
      expect(items.find((i) => i.digest === A)?.endedAt).toBeDefined();
      return items;
    }, 'A ended');
    const a = list.find((i) => i.digest === A)!;
    const b = list.find((i) => i.digest === B)!;
    expect(list).toHaveLength(2);
    expect(a).toMatchObject({
      firstSeenAt: T0,
      application: 'shop',
      workloadKind: 'Deployment',
      workloadName: 'web',
      namespace: 'prod',
      runtime: 'edge',
    });
    expect(a.endedAt >= lastDelete.slice(0, 19)).toBe(true);
    expect(b).toMatchObject({ firstSeenAt: T1, replicas: 3, application: 'shop', workloadName: 'web' });
    expect(b.endedAt).toBeUndefined();
    expect(b.app).toMatchObject({
      syncRevision: 'abc123',
      health: 'Healthy',
      destination: { namespace: 'prod' },
    });

    const detailB = (await cp.call('GET', `/images/${idB}`)).json;
    expect(detailB.deployments.running).toHaveLength(1);
    expect(detailB.deployments.running[0]).toMatchObject({
      firstSeenAt: T1,
      application: 'shop',
      replicas: 3,
    });
    expect(detailB.deployments.leadTime).toMatchObject({
      commitTime: commitB,
      firstRunningAt: T1,
      seconds: 30 * 60,
    });
    const detailA = (await cp.call('GET', `/images/${idA}`)).json;
    expect(detailA.deployments.running).toEqual([]);
    expect(detailA.deployments.history[0]).toMatchObject({ firstSeenAt: T0, endedAt: a.endedAt });

    const view = (await cp.call('GET', '/deployments/applications/shop')).json;
    expect(view.running.map((r: any) => [r.interval.digest, r.tags])).toEqual([[B, ['1.1']]]);
    expect(view.running[0].git).toMatchObject({ sha: '2'.repeat(40) });
    expect(view.timeline.map((i: any) => i.digest)).toEqual([B, A]);
    expect(view.leadTime.medianSeconds).toBe((3600 + 30 * 60) / 2);
    // Lead time = first-running(B) − commit time of B's build, through the lead-time API and a period
    // that holds B's first running but not A's.
    const leadB = Date.parse(T1) - Date.parse(commitB);
    const period = `since=${encodeURIComponent('2026-03-01T10:30:00+00:00')}&until=2026-03-02T10:30:00.000Z`;
    const lead = (await cp.call('GET', `/deployments/lead-time?application=shop&${period}`)).json;
    expect(lead.items).toEqual([
      {
        digest: B,
        application: 'shop',
        commitSha: '2'.repeat(40),
        commitTime: commitB,
        firstRunningAt: T1,
        seconds: leadB / 1000,
      },
    ]);
    expect(lead.medianSeconds).toBe(leadB / 1000);
    expect(lead.frequency).toEqual([{ application: 'shop', deployments: 1, perDay: 1 }]);
    const inPeriod = (await cp.call('GET', `/deployments/applications/shop?${period}`)).json;
    expect(inPeriod.leadTime).toEqual(lead);
    const bad = await cp.call('GET', '/deployments/lead-time?days=7&since=2026-03-01T00:00:00Z');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).toContain('either days or since/until');

    const listed = (await cp.call('GET', '/images?deployed=true')).json.items;
    expect(listed.map((i: any) => [i.id, i.deployedIn])).toEqual([[idB, 1]]);
    expect((await cp.call('GET', '/images?application=nope')).json.items).toEqual([]);
    expect((await cp.call('GET', '/images?deployed=false')).json.items.map((i: any) => i.id)).toContain(idA);
  });

  it('shows a mutable tag re-pushed between two deployments as two digests, two deployments', async () => {
    const C = digest('c');
    const D = digest('d');
    const api = k.api;
    api.apply(PATHS.deployments, deployment('prod', 'api', 'shop-api'));
    api.apply(PATHS.replicasets, replicaSet('prod', 'api-1', 'api'));
    api.apply(
      PATHS.pods,
      pod(
        'prod',
        'api-1-x',
        { kind: 'ReplicaSet', name: 'api-1' },
        { repository: 'shop/api', digest: C, tag: 'latest' },
        T0,
      ),
    );
    const o = observe(k.kubeconfig, cp, edge);
    stops.push(o.stop);
    await eventually(async () => expect(await intervals()).toHaveLength(1), 'first deployment');
    // Same tag, new digest: `latest` was pushed again and the Deployment restarted.
    api.apply(PATHS.replicasets, replicaSet('prod', 'api-2', 'api'));
    api.apply(
      PATHS.pods,
      pod(
        'prod',
        'api-2-x',
        { kind: 'ReplicaSet', name: 'api-2' },
        { repository: 'shop/api', digest: D, tag: 'latest' },
        T1,
      ),
    );
    api.delete(PATHS.pods, 'prod', 'api-1-x');
    const items = await eventually(async () => {
      const list = await intervals();
      expect(list.find((i) => i.digest === C)?.endedAt).toBeDefined();
      return list;
    }, 'second deployment');
    expect(items.map((i) => [i.digest, i.image, i.endedAt === undefined])).toEqual([
      [D, `${HOST}/shop/api:latest`, true],
      [C, `${HOST}/shop/api:latest`, false],
    ]);
  });

  it('counts a pod running the arm64 child of a reported index as one deployment of that image', async () => {
    const INDEX = digest('e');
    const AMD = digest('1');
    const ARM = digest('2');
    const platform = (d: string, architecture: string): Platform => ({
      os: 'linux',
      architecture,
      digest: d,
      size: 10,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
    });
    const id = await record(
      cp,
      image('shop/multi', INDEX, ['2.0'], [platform(AMD, 'amd64'), platform(ARM, 'arm64')]),
      '3'.repeat(40),
      T0,
    );
    k.api.apply(PATHS.daemonsets, { metadata: { name: 'agent', namespace: 'ops' } });
    k.api.apply(
      PATHS.pods,
      pod(
        'ops',
        'agent-arm',
        { kind: 'DaemonSet', name: 'agent' },
        { repository: 'shop/multi', digest: ARM },
        T1,
      ),
    );
    const o = observe(k.kubeconfig, cp, edge);
    stops.push(o.stop);
    await eventually(async () => expect(await intervals()).toHaveLength(1), 'the child running');
    const detail = (await cp.call('GET', `/images/${id}`)).json;
    expect(detail.deployments.running).toHaveLength(1);
    expect(detail.deployments.running[0]).toMatchObject({
      digest: ARM,
      workloadKind: 'DaemonSet',
      workloadName: 'agent',
    });
    const listed = (await cp.call('GET', '/images?deployed=true&namespace=ops')).json.items;
    expect(listed.map((i: any) => [i.id, i.deployedIn])).toEqual([[id, 1]]);
    // A digest anybody reported is not "discovered".
    expect(await database().db.selectFrom('discovered_images').selectAll().execute()).toEqual([]);
  });

  it('loses and duplicates nothing across a dropped watch, 410 Gone and an observer restart; ends once', async () => {
    const api = k.api;
    const E = digest('f');
    const F = digest('9');
    api.apply(PATHS.statefulsets, { metadata: { name: 'db', namespace: 'data' } });
    api.apply(
      PATHS.pods,
      pod('data', 'db-0', { kind: 'StatefulSet', name: 'db' }, { repository: 'data/db', digest: A }, T0),
    );
    api.apply(PATHS.jobs, {
      metadata: {
        name: 'nightly-1',
        namespace: 'data',
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', controller: true }],
      },
    });
    api.apply(PATHS.cronjobs, { metadata: { name: 'nightly', namespace: 'data' } });
    api.apply(
      PATHS.pods,
      pod(
        'data',
        'nightly-1-x',
        { kind: 'Job', name: 'nightly-1' },
        { repository: 'data/job', digest: E },
        T0,
      ),
    );
    let o = observe(k.kubeconfig, cp, edge);
    stops.push(o.stop);
    await eventually(async () => expect(await intervals()).toHaveLength(2), 'initial state');
    expect((await intervals()).map((i) => `${i.workloadKind}/${i.workloadName}`).sort()).toEqual([
      'CronJob/nightly',
      'StatefulSet/db',
    ]);

    // Watch dropped: the observer resumes from its last resourceVersion; the change made meanwhile arrives.
    api.dropWatches();
    api.apply(
      PATHS.pods,
      pod('data', 'db-1', { kind: 'StatefulSet', name: 'db' }, { repository: 'data/db', digest: A }, T1),
    );
    await eventually(
      async () => expect((await intervals()).find((i) => i.digest === A)?.replicas).toBe(2),
      'db-1 seen',
    );

    // Watches dropped, a change made and the history compacted before the observer is back (all in one
    // tick: the stand-in runs in this process): resuming answers 410 Gone, the observer lists again.
    api.dropWatches();
    api.apply(
      PATHS.pods,
      pod('data', 'db-2', { kind: 'StatefulSet', name: 'db' }, { repository: 'data/db', digest: A }, T1),
    );
    api.compact();
    await eventually(
      async () => expect(o.observer.stats().reflectors[0]!.gone).toBeGreaterThan(0),
      '410 seen',
    );
    await eventually(
      async () => expect((await intervals()).find((i) => i.digest === A)?.replicas).toBe(3),
      'db-2 seen after 410',
    );
    expect(o.batches.filter((b) => b.kind === 'full').length).toBeGreaterThan(1);

    // Observer stopped; while it is away the job finishes and a new workload starts.
    await o.stop();
    api.delete(PATHS.pods, 'data', 'nightly-1-x');
    api.apply(PATHS.deployments, deployment('data', 'cache'));
    api.apply(PATHS.replicasets, replicaSet('data', 'cache-1', 'cache'));
    api.apply(
      PATHS.pods,
      pod(
        'data',
        'cache-1-x',
        { kind: 'ReplicaSet', name: 'cache-1' },
        { repository: 'data/cache', digest: F },
        T1,
      ),
    );
    o = observe(k.kubeconfig, cp, edge);
    stops.push(o.stop);
    const after = await eventually(async () => {
      const list = await intervals();
      expect(list).toHaveLength(3);
      expect(list.find((i) => i.digest === E)?.endedAt).toBeDefined();
      return list;
    }, 'state healed after restart');
    const ended = after.find((i) => i.digest === E)!.endedAt;

    // Resyncs change nothing: no duplicate, the ended interval keeps its end.
    o.observer.resync();
    await eventually(
      async () => expect(o.batches.filter((b) => b.kind === 'full').length).toBeGreaterThan(1),
      'resync',
    );
    const final = await intervals();
    expect(final).toHaveLength(3);
    expect(final.find((i) => i.digest === E)!.endedAt).toBe(ended);
    expect(final.find((i) => i.digest === A)).toMatchObject({ replicas: 3, firstSeenAt: T0 });
    expect(final.find((i) => i.digest === F)).toMatchObject({
      workloadKind: 'Deployment',
      workloadName: 'cache',
    });
    expect(final.filter((i) => i.endedAt === undefined)).toHaveLength(2);
  });
});
