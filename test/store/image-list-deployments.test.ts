import { beforeEach, describe, expect, it } from 'vitest';
import type { DeploymentKey, ObservedGroup } from '../../src/contract/deployments.js';
import type { EnrichedImage, ImageListQuery } from '../../src/contract/images.js';
import { FakeImageStore, type RunningPlace } from '../../src/store/fake-image-store.js';
import type { ImageStore } from '../../src/store/image-store.js';
import { SqlDeploymentStore } from '../../src/store/sql-deployment-store.js';
import { SqlImageStore } from '../../src/store/sql-image-store.js';
import { eachDatabase, useTestDatabase, type TestDatabase } from '../helpers/databases.js';

// The image list's deployment filters (`deployed`, `application`, `runtime`, `namespace`, issue 13): the same
// assertions on the in-memory fake (given the open intervals) and on both SQL engines (fed through the
// deployment store), so code tested against the fake sees what the server does.

const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const hex = (n: number) => n.toString(16).padStart(64, '0');
const digestOf = (n: number) => `sha256:${hex(n)}`;

interface Place {
  runtime: string;
  namespace: string;
  /** The Deployment's name; `web` when not said. */
  workload?: string;
  application: string;
  repository: string;
  digest: string;
}

interface Subject {
  store(): ImageStore;
  /** Opens an interval for the place; `stop` closes it. */
  run(p: Place): Promise<void>;
  stop(p: Place): Promise<void>;
  database?: () => TestDatabase;
}

function fake(): Subject {
  let places: RunningPlace[] = [];
  const same = (a: RunningPlace, p: Place) =>
    a.runtime === p.runtime &&
    a.namespace === p.namespace &&
    a.workloadName === (p.workload ?? 'web') &&
    a.application === p.application &&
    a.repository === p.repository &&
    a.digest === p.digest;
  const store = new FakeImageStore({ running: () => places });
  return {
    store: () => store,
    run: (p) => {
      const { workload, ...at } = p;
      places.push({ ...at, workloadKind: 'Deployment', workloadName: workload ?? 'web', registry: REGISTRY });
      return Promise.resolve();
    },
    stop: (p) => {
      places = places.filter((a) => !same(a, p));
      return Promise.resolve();
    },
  };
}

function sql(engine: 'sqlite' | 'postgres'): Subject {
  const database = useTestDatabase(engine);
  let sequence = 0;
  const key = (p: Place): DeploymentKey => ({
    namespace: p.namespace,
    workloadKind: 'Deployment',
    workloadName: p.workload ?? 'web',
    application: p.application,
    registry: REGISTRY,
    repository: p.repository,
    digest: p.digest,
  });
  const apply = (p: Place, upserts: ObservedGroup[], removals: Array<DeploymentKey & { endedAt: string }>) =>
    new SqlDeploymentStore({ db: database().db }).apply(p.runtime, {
      observerId: 'spec',
      sequence: ++sequence,
      observedAt: '2026-01-01T10:00:00.000Z',
      kind: 'delta',
      upserts,
      removals,
    });
  return {
    database,
    store: () => new SqlImageStore({ db: database().db, dialect: database().engine }),
    run: async (p) => {
      await apply(p, [{ ...key(p), replicas: 1, firstStartedAt: '2026-01-01T09:00:00.000Z' }], []);
    },
    stop: async (p) => {
      await apply(p, [], [{ ...key(p), endedAt: '2026-01-01T09:30:00.000Z' }]);
    },
  };
}

const subjects: Array<[string, () => Subject]> = [
  ['fake', fake],
  ...eachDatabase().map((e): [string, () => Subject] => [e, () => sql(e)]),
];

function image(n: number, repository = 'team/app', platform = n + 1000): EnrichedImage {
  return {
    registry: REGISTRY,
    repository,
    digest: digestOf(n),
    mediaType: 'application/vnd.oci.image.index.v1+json',
    tags: [`v${n}`],
    size: 100,
    platforms: [
      {
        os: 'linux',
        architecture: 'arm64',
        digest: digestOf(platform),
        size: 10,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
      },
    ],
    layers: [],
    labels: {},
    annotations: {},
    referrers: [],
    registryType: 'registry.ecr',
  };
}

describe.each(subjects)('image list deployment filters (%s)', (_label, setup) => {
  const subject = setup();
  beforeEach(async () => {
    if (!subject.database) return;
    const { db } = subject.database();
    await db.deleteFrom('deployment_intervals').execute();
    await db.deleteFrom('deployment_observers').execute();
    await db.deleteFrom('images').execute();
  });

  it('lists images running now, by application, runtime and namespace, and those not running', async () => {
    const store = subject.store();
    const ids = new Map<number, string>();
    for (const n of [1, 2, 3, 4]) {
      const r = await store.recordEnrichment({
        image: image(n),
        build: { runtime: 'local', reportId: `rep_${n}`, reportedAt: '2026-01-01T00:00:00.000Z' },
      });
      ids.set(n, r.imageId);
    }
    // 1: its arm64 child runs in shop (edge/prod); 2: its own digest in a workload of no application
    // (other/staging); 3: ran in shop, stopped; 4: its digest runs, but under another repository.
    const place = (over: Partial<Place>): Place => ({
      runtime: 'edge',
      namespace: 'prod',
      application: 'shop',
      repository: 'team/app',
      digest: digestOf(1),
      ...over,
    });
    await subject.run(place({ digest: digestOf(1001) }));
    await subject.run(
      place({ runtime: 'other', namespace: 'staging', application: '', digest: digestOf(2) }),
    );
    await subject.run(place({ digest: digestOf(3) }));
    await subject.stop(place({ digest: digestOf(3) }));
    await subject.run(place({ repository: 'team/elsewhere', digest: digestOf(4) }));

    const list = async (q: Omit<ImageListQuery, 'limit'>) => {
      const page = await store.list({ limit: 50, ...q });
      const byId = new Map([...ids].map(([n, id]) => [id, n]));
      return page.items.map((i) => byId.get(i.id)).sort();
    };
    expect(await list({})).toEqual([1, 2, 3, 4]);
    expect(await list({ deployed: 'true' })).toEqual([1, 2]);
    expect(await list({ deployed: 'false' })).toEqual([3, 4]);
    // Any of application, runtime, namespace implies deployed=true.
    expect(await list({ application: 'shop' })).toEqual([1]);
    expect(await list({ runtime: 'other' })).toEqual([2]);
    expect(await list({ namespace: 'staging' })).toEqual([2]);
    expect(await list({ runtime: 'edge', namespace: 'prod' })).toEqual([1]);
    expect(await list({ runtime: 'edge', namespace: 'staging' })).toEqual([]);
    expect(await list({ application: 'shop', deployed: 'false' })).toEqual([2, 3, 4]);
    expect(await list({ application: 'nope' })).toEqual([]);
    expect(await list({ deployed: 'true', tag: 'v2' })).toEqual([2]);
  });

  // The list's "deployed in N" is part of the list statement (ADR 0032): distinct places (runtime, namespace,
  // workload, application) running the image's own digest or one of its platforms', in its repository.
  it('counts the places each listed image runs in, through its platforms too, once per place', async () => {
    const store = subject.store();
    const ids = new Map<string, number>();
    const images: Array<[number, EnrichedImage]> = [
      ...[1, 2, 3, 4].map((n): [number, EnrichedImage] => [n, image(n)]),
      // Another index listing image 1's arm64 manifest: a pod running that manifest runs both.
      [5, image(5, 'team/app', 1001)],
    ];
    for (const [n, img] of images) {
      const r = await store.recordEnrichment({
        image: img,
        build: { runtime: 'local', reportId: `rep_${n}`, reportedAt: '2026-01-01T00:00:00.000Z' },
      });
      ids.set(r.imageId, n);
    }
    const place = (over: Partial<Place>): Place => ({
      runtime: 'edge',
      namespace: 'prod',
      application: 'shop',
      repository: 'team/app',
      digest: digestOf(1),
      ...over,
    });
    // 1: `web` runs its arm64 child and the index itself (one place), `worker` the index (a second).
    await subject.run(place({ digest: digestOf(1001) }));
    await subject.run(place({}));
    await subject.run(place({ workload: 'worker' }));
    // 2: one place in another runtime; 3: ran and stopped; 4: its digest runs under another repository.
    await subject.run(
      place({ runtime: 'other', namespace: 'staging', application: '', digest: digestOf(2) }),
    );
    await subject.run(place({ digest: digestOf(3) }));
    await subject.stop(place({ digest: digestOf(3) }));
    await subject.run(place({ repository: 'team/elsewhere', digest: digestOf(4) }));

    const counts = async (q: Omit<ImageListQuery, 'limit'>, limit = 50) => {
      const page = await store.list({ limit, ...q });
      return page.items.map((i) => [ids.get(i.id), i.deployedIn]).sort((a, b) => Number(a[0]) - Number(b[0]));
    };
    const all = [
      [1, 2],
      [2, 1],
      [3, 0],
      [4, 0],
      [5, 1],
    ];
    expect(await counts({})).toEqual(all);
    expect(await counts({ deployed: 'true' })).toEqual([all[0], all[1], all[4]]);
    expect(await counts({ tag: 'v1' })).toEqual([all[0]]);
    expect(await counts({ application: 'shop', deployed: 'false' })).toEqual([all[1], all[2], all[3]]);
    // Paged: every page carries its counts.
    const first = await store.list({ limit: 2 });
    const second = await store.list({ limit: 2, cursor: first.nextCursor });
    expect([...first.items, ...second.items].every((i) => i.deployedIn !== undefined)).toBe(true);
    // The detail lists its deployments instead (GET /images/:id adds them).
    const detail = await store.get([...ids.keys()][0] ?? '');
    expect(detail?.deployedIn).toBeUndefined();
  });
});
