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
    a.application === p.application &&
    a.repository === p.repository &&
    a.digest === p.digest;
  const store = new FakeImageStore({ running: () => places });
  return {
    store: () => store,
    run: (p) => {
      places.push({ ...p, registry: REGISTRY });
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
    workloadName: 'web',
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

function image(n: number, repository = 'team/app'): EnrichedImage {
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
        digest: digestOf(n + 1000),
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
});
