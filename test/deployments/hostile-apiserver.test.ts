import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/databases.js';
import { misbehave, type Misbehaviour } from '../peers/kube-apiserver-hostile.js';
import {
  cluster,
  controlPlane,
  digest,
  eventually,
  HOST,
  observe,
  PATHS,
  pod,
  type ControlPlane,
} from './harness.js';

// The observer against a broken or hostile API server (threat model: a hostile runtime). Whatever it is
// answered, the observer's memory stays bounded (pages, events, objects cached), it says what is wrong in
// a clear error, and it keeps reporting what it could read; objects no API server would serve do not
// poison the batches.

const A = digest('a');
const T0 = '2026-03-01T10:00:00.000Z';

describe('the observer against a misbehaving API server', () => {
  const database = useTestDatabase('sqlite');
  let cp: ControlPlane;
  let edge: string;
  let k: Awaited<ReturnType<typeof cluster>>;
  const stops: Array<() => Promise<void> | void> = [];
  beforeAll(async () => {
    cp = await controlPlane(database());
    edge = await cp.token(['runtime:edge']);
  });
  beforeEach(async () => {
    for (const t of ['deployment_intervals', 'deployment_observers'] as const)
      await database().db.deleteFrom(t).execute();
    k = await cluster();
    k.api.apply(PATHS.daemonsets, { metadata: { name: 'agent', namespace: 'ops' } });
    k.api.apply(
      PATHS.pods,
      pod('ops', 'agent-1', { kind: 'DaemonSet', name: 'agent' }, { repository: 'ops/agent', digest: A }, T0),
    );
  });
  afterEach(async () => {
    for (const s of stops.splice(0).reverse()) await s();
    await k.stop();
  });
  const intervals = async () =>
    (await cp.call('GET', '/deployments?limit=500')).json.items as Array<Record<string, any>>;
  const messages = (errors: unknown[]) => errors.map((e) => String((e as Error).message));

  const cases: Array<[string, string, Misbehaviour, RegExp]> = [
    [
      'a page past its limit',
      PATHS.jobs,
      { kind: 'ignore-limit', count: 50 },
      /50 items answered for limit=10/,
    ],
    ['a list that never ends', PATHS.jobs, { kind: 'endless-continue' }, /did not end after 11 pages/],
    ['an enormous page', PATHS.jobs, { kind: 'huge-page', bytes: 1024 * 1024 }, /larger than 262144 bytes/],
  ];
  it.each(cases)(
    'refuses %s with a clear error, and reports nothing half-listed',
    async (_, path, m, error) => {
      stops.push(misbehave(k.api, path, m));
      const o = observe(k.kubeconfig, cp, edge, 'edge', {
        pageSize: 10,
        maxObjects: 100,
        bounds: { maxPageBytes: 256 * 1024 },
      });
      stops.push(o.stop);
      await eventually(async () => expect(messages(o.errors).join('\n')).toMatch(error), 'the error');
      // The broken collection never synced: nothing was sent on a partial view of the cluster.
      expect(o.batches).toEqual([]);
      const jobs = o.observer.stats().reflectors.find((r) => r.path === path)!;
      expect(jobs.lists).toBe(0);
    },
  );

  const watches: Array<[string, Misbehaviour, RegExp]> = [
    ['lines that are not JSON', { kind: 'junk-watch' }, /not JSON/],
    ['an event that never ends', { kind: 'endless-line' }, /an event larger than 65536 bytes/],
  ];
  it.each(watches)('drops a watch streaming %s, lists again, and keeps reporting', async (_, m, error) => {
    stops.push(misbehave(k.api, PATHS.pods, m));
    const o = observe(k.kubeconfig, cp, edge, 'edge', { bounds: { maxEventBytes: 64 * 1024 } });
    stops.push(o.stop);
    // The list is honest, the watch is not: what was listed is reported, the watch is refused and retried.
    await eventually(async () => expect(await intervals()).toHaveLength(1), 'the listed pod reported');
    await eventually(async () => expect(messages(o.errors).join('\n')).toMatch(error), 'the error');
    await eventually(
      async () => expect(o.observer.stats().reflectors[0]!.lists).toBeGreaterThan(1),
      'a fresh list after the junk',
    );
  });

  /** Counts the list requests the misbehaviour answers on `path`. */
  const countLists = (path: string) => {
    const inner = k.api.misbehave!;
    const seen = { lists: 0 };
    k.api.misbehave = (url, res) => {
      if (url.pathname === path && url.searchParams.get('watch') !== 'true') seen.lists++;
      return inner(url, res);
    };
    return seen;
  };
  const reflector = (o: ReturnType<typeof observe>, path: string) =>
    o.observer.stats().reflectors.find((r) => r.path === path)!;

  it('leaves a list page that trickles past its deadline, backs off, and lists afresh', async () => {
    const stop = misbehave(k.api, PATHS.jobs, { kind: 'trickle-list' });
    stops.push(stop);
    const seen = countLists(PATHS.jobs);
    const o = observe(k.kubeconfig, cp, edge, 'edge', { bounds: { listTimeoutMs: 300 } });
    stops.push(o.stop);
    await eventually(
      async () => expect(messages(o.errors).join('\n')).toMatch(/jobs: the page took longer than 300 ms/),
      'the timeout',
    );
    await eventually(async () => expect(seen.lists).toBeGreaterThan(1), 'a fresh list');
    expect(reflector(o, PATHS.jobs).lists).toBe(0);
    stop();
    await eventually(async () => expect(reflector(o, PATHS.jobs).lists).toBe(1), 'the honest list');
  });

  it('a resync drops a list in flight, not only a finished watch', async () => {
    misbehave(k.api, PATHS.jobs, { kind: 'trickle-list' });
    const seen = countLists(PATHS.jobs);
    // The page deadline is far off (the default): only the resync can leave the trickling list.
    const o = observe(k.kubeconfig, cp, edge, 'edge', { resyncMs: 300 });
    stops.push(o.stop);
    await eventually(async () => expect(seen.lists).toBe(1), 'the list in flight');
    // The server turns honest; the trickling answer goes on (not ended by the server).
    k.api.misbehave = undefined;
    await eventually(async () => expect(reflector(o, PATHS.jobs).lists).toBeGreaterThan(0), 'a fresh list');
  });

  it('does not follow a redirect to another origin (the credentials stay with the cluster)', async () => {
    const elsewhere: string[] = [];
    const other = createServer((req, res) => {
      elsewhere.push(req.url ?? '');
      res.end('{}');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    stops.push(() => new Promise<void>((r) => other.close(() => r())));
    const { port } = other.address() as AddressInfo;
    stops.push(misbehave(k.api, PATHS.jobs, { kind: 'redirect', location: `http://127.0.0.1:${port}/x` }));
    const o = observe(k.kubeconfig, cp, edge);
    stops.push(o.stop);
    await eventually(
      async () =>
        expect(messages(o.errors).join('\n')).toMatch(/jobs: redirected \(HTTP 302\), not followed/),
      'the error',
    );
    expect(elsewhere).toEqual([]);
  });

  it('reports what runs when an optional collection is forbidden (a role without Argo Rollouts), and says so', async () => {
    stops.push(misbehave(k.api, PATHS.rollouts, { kind: 'forbidden' }));
    k.api.installCrd(PATHS.rollouts);
    const o = observe(k.kubeconfig, cp, edge);
    stops.push(o.stop);
    await eventually(async () => expect(await intervals()).toHaveLength(1), 'the pod reported');
    expect(messages(o.errors).join('\n')).toMatch(/rollouts: HTTP 403.*forbidden/);
  });

  it('caches no more objects than allowed, and says so', async () => {
    for (let i = 0; i < 30; i++)
      k.api.apply(PATHS.replicasets, { metadata: { name: `rs-${i}`, namespace: 'ops' } });
    const o = observe(k.kubeconfig, cp, edge, 'edge', { maxObjects: 20, pageSize: 10 });
    stops.push(o.stop);
    await eventually(
      async () => expect(messages(o.errors).join('\n')).toMatch(/replicasets: more than 20 objects/),
      'the error',
    );
    expect(o.observer.stats().reflectors.every((r) => r.lists === 0 || r.path !== PATHS.replicasets)).toBe(
      true,
    );
  });

  it('leaves out or trims objects no API server would serve, and reports the rest', async () => {
    const big = pod(
      'ops',
      'agent-2',
      { kind: 'DaemonSet', name: 'agent' },
      { repository: 'ops/agent', digest: A },
      T0,
    );
    const statuses = (big['status'] as { containerStatuses: Array<Record<string, unknown>> })
      .containerStatuses;
    const one = statuses[0]!;
    // 150 containers (the contract keeps 100 names), and an image string far past any registry's.
    (big['status'] as Record<string, unknown>)['containerStatuses'] = Array.from({ length: 150 }, (_, i) => ({
      ...one,
      name: `c${i}`,
      image: `${HOST}/ops/agent:${'t'.repeat(2000)}`,
    }));
    k.api.apply(PATHS.pods, big);
    // A namespace no Kubernetes allows (253 characters at most): its group cannot be keyed, it is left out.
    const odd = pod('n'.repeat(300), 'p', undefined, { repository: 'ops/odd', digest: A }, T0);
    k.api.apply(PATHS.pods, odd);
    // A start time that is not a time: the pod is dropped, the observer does not fall over.
    const junk = pod('ops', 'junk', undefined, { repository: 'ops/junk', digest: A }, 'not a time');
    k.api.apply(PATHS.pods, junk);

    const o = observe(k.kubeconfig, cp, edge);
    stops.push(o.stop);
    const items = await eventually(async () => {
      const list = await intervals();
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({ workloadName: 'agent', replicas: 2 });
      return list;
    }, 'the valid group');
    expect(items[0]!.image).toBe(`${HOST}/ops/agent:latest`);
    expect(o.observer.stats().unfit).toBe(1);
    expect(messages(o.errors).join('\n')).toContain('1 running groups have names the control plane refuses');
  });
});
