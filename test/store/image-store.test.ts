import { beforeEach, describe, expect, it } from 'vitest';
import { seedImages } from '../../bench/seed-images.js';
import { InputError } from '../../src/domain/errors.js';
import type { EnrichedImage, ImageListQuery, ImageSummary } from '../../src/contract/images.js';
import { FakeImageStore } from '../../src/store/fake-image-store.js';
import { encodeCursor, type EnrichmentRecord, type ImageStore } from '../../src/store/image-store.js';
import { SqlImageStore } from '../../src/store/sql-image-store.js';
import { eachDatabase, useTestDatabase, type TestDatabase } from '../helpers/databases.js';

function manualClock(start = Date.parse('2025-01-01T00:00:00.000Z')) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

type Subject = { store: (now?: () => Date) => ImageStore; database?: () => TestDatabase };

const subjects: [string, () => Subject][] = [
  ['fake', () => ({ store: (now) => new FakeImageStore({ now }) })],
  ...eachDatabase().map((engine): [string, () => Subject] => [
    engine,
    () => {
      const database = useTestDatabase(engine);
      return {
        store: (now) => new SqlImageStore({ db: database().db, dialect: database().engine, now }),
        database,
      };
    },
  ]),
];

const hex = (n: number, len = 64) => n.toString(16).padStart(len, '0');
const digestOf = (n: number) => `sha256:${hex(n)}`;

function image(n: number, over: Partial<EnrichedImage> = {}): EnrichedImage {
  return {
    registry: '123456789012.dkr.ecr.us-east-1.amazonaws.com',
    repository: 'team/app',
    digest: digestOf(n),
    mediaType: 'application/vnd.oci.image.index.v1+json',
    tags: [`v${n}`],
    size: 3_000_000_000 + n,
    registrySize: 1_234_567,
    pushedAt: '2024-12-31T23:00:00.000Z',
    createdAt: '2024-12-31T22:59:00.000Z',
    platforms: [
      {
        os: 'linux',
        architecture: 'amd64',
        digest: `sha256:${hex(n + 1000)}`,
        size: 1000,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
      },
      {
        os: 'linux',
        architecture: 'arm64',
        variant: 'v8',
        digest: `sha256:${hex(n + 2000)}`,
        size: 1001,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
      },
    ],
    layers: [
      {
        digest: `sha256:${hex(n + 3000)}`,
        size: 500,
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      },
    ],
    labels: { 'org.opencontainers.image.source': 'https://github.com/acme/app' },
    annotations: { 'org.opencontainers.image.revision': 'abc' },
    config: { os: 'linux', architecture: 'amd64', historyCount: 7 },
    scan: { status: 'COMPLETE', severityCounts: { HIGH: 1 } },
    referrers: [
      {
        digest: `sha256:${hex(n + 4000)}`,
        kind: 'signature',
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        tag: `sha256-${hex(n)}.sig`,
      },
    ],
    registryType: 'registry.ecr',
    ...over,
  };
}

function report(
  n: number,
  over: Partial<EnrichmentRecord> = {},
  img: Partial<EnrichedImage> = {},
): EnrichmentRecord {
  return {
    image: image(n, img),
    build: {
      workflowName: 'build-and-push',
      workflowUrl: `https://ci.example.com/runs/${n}`,
      logsUrl: `https://ci.example.com/runs/${n}/logs`,
      ciType: 'github-actions',
      runtime: 'local',
      reportId: `rep_${n}`,
      reportedAt: '2025-01-01T00:00:00.000Z',
    },
    git: {
      provider: 'github',
      repo: 'acme/app',
      branch: 'main',
      sha: hex(n, 40),
      message: `PROJ-${n}: change ${n}`,
      author: { name: 'Ann', email: 'ann@example.com' },
      time: '2024-12-31T21:00:00.000Z',
      url: `https://github.com/acme/app/commit/${hex(n, 40)}`,
      parents: [hex(n + 1, 40)],
    },
    pullRequests: [
      {
        number: n,
        title: `PR ${n}`,
        url: `https://github.com/acme/app/pull/${n}`,
        state: 'merged',
        author: 'ann',
        mergedAt: '2024-12-31T20:00:00.000Z',
      },
    ],
    issues: [
      {
        key: `PROJ-${n}`,
        title: `Issue ${n}`,
        status: 'Done',
        statusCategory: 'done',
        assignee: 'Ann',
        url: `https://jira.example.com/browse/PROJ-${n}`,
      },
    ],
    ...over,
  };
}

async function all(
  store: ImageStore,
  query: Omit<ImageListQuery, 'limit'> & { limit?: number },
): Promise<ImageSummary[]> {
  const out: ImageSummary[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 100; i++) {
    const page = await store.list({ limit: 50, ...query, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    if (!page.nextCursor) return out;
    cursor = page.nextCursor;
  }
  throw new Error('too many pages');
}

describe.each(subjects)('image store (%s)', (label, setup) => {
  const subject = setup();

  beforeEach(async () => {
    if (!subject.database) return;
    const { db } = subject.database();
    // Children cascade from images and builds.
    await db.deleteFrom('images').execute();
    await db.deleteFrom('commit_pull_requests').execute();
    await db.deleteFrom('pull_requests').execute();
    await db.deleteFrom('commits').execute();
    await db.deleteFrom('issues').execute();
  });

  it('records an enrichment and serves it as detail, summary and by digest', async () => {
    const store = subject.store(manualClock().now);
    const r = report(1);
    const res = await store.recordEnrichment(r);
    expect(res).toMatchObject({ created: true, buildCreated: true });
    expect(res.imageId).toMatch(/^img_/);
    expect(res.buildId).toMatch(/^bld_/);
    expect(await store.findByDigest(r.image.registry, 'team/app', digestOf(1))).toBe(res.imageId);
    expect(await store.findByDigest(r.image.registry, 'team/other', digestOf(1))).toBeNull();

    const summary: ImageSummary = {
      id: res.imageId,
      registry: r.image.registry,
      repository: 'team/app',
      digest: digestOf(1),
      mediaType: 'application/vnd.oci.image.index.v1+json',
      tags: ['v1'],
      size: 3_000_000_001,
      createdAt: '2024-12-31T22:59:00.000Z',
      pushedAt: '2024-12-31T23:00:00.000Z',
      platforms: [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
      ],
      latestBuild: {
        workflowName: 'build-and-push',
        workflowUrl: 'https://ci.example.com/runs/1',
        reportedAt: '2025-01-01T00:00:00.000Z',
      },
      git: { repo: 'acme/app', branch: 'main', sha: hex(1, 40), message: 'PROJ-1: change 1' },
      issues: ['PROJ-1'],
      updatedAt: '2025-01-01T00:00:00.000Z',
    };
    // The list says where it runs (nowhere here); the detail lists its deployments instead.
    expect(await store.list({ limit: 50 })).toEqual({ items: [{ ...summary, deployedIn: 0 }] });

    const detail = await store.get(res.imageId);
    expect(detail).toEqual({
      ...summary,
      registryType: 'registry.ecr',
      registrySize: 1_234_567,
      platformsDetail: r.image.platforms,
      layers: r.image.layers,
      labels: r.image.labels,
      annotations: r.image.annotations,
      config: r.image.config,
      scan: r.image.scan,
      referrers: r.image.referrers,
      builds: [{ id: res.buildId, ...r.build, git: r.git }],
      commits: [{ ...r.git, branch: undefined, pullRequests: r.pullRequests }].map(
        ({ branch: _b, ...c }) => c,
      ),
      issueDetails: r.issues,
    });
    expect(await store.get('img_missing')).toBeNull();
  });

  it('is idempotent: the same report twice, or a retried report, gives one image and one build', async () => {
    const clock = manualClock();
    const store = subject.store(clock.now);
    const a = await store.recordEnrichment(report(1));
    clock.advance(1000);
    const b = await store.recordEnrichment(report(1));
    clock.advance(1000);
    const retried = report(1);
    retried.build = { ...retried.build, reportId: 'rep_retry', reportedAt: '2025-01-01T00:00:02.000Z' };
    const c = await store.recordEnrichment(retried);
    expect(b).toEqual({ imageId: a.imageId, buildId: a.buildId, created: false, buildCreated: false });
    expect(c).toEqual({ imageId: a.imageId, buildId: a.buildId, created: false, buildCreated: false });

    const page = await store.list({ limit: 50 });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]?.updatedAt).toBe('2025-01-01T00:00:02.000Z');
    const detail = await store.get(a.imageId);
    expect(detail?.builds).toHaveLength(1);
    expect(detail?.builds[0]).toMatchObject({
      reportId: 'rep_retry',
      reportedAt: '2025-01-01T00:00:02.000Z',
    });
    expect(detail?.commits).toHaveLength(1);
    expect(detail?.commits[0]?.pullRequests).toHaveLength(1);
    expect(detail?.issueDetails).toHaveLength(1);
  });

  it('adds a new tag to a known digest, keeps the old ones and updates registry facts', async () => {
    const clock = manualClock();
    const store = subject.store(clock.now);
    const first = await store.recordEnrichment(report(1, {}, { tags: ['v1', 'latest'] }));
    clock.advance(1000);
    await store.recordEnrichment(report(2));
    clock.advance(1000);
    const again = await store.recordEnrichment(
      report(1, {}, { tags: ['v1.0.1'], size: 42, platforms: [], referrers: [], scan: undefined }),
    );
    expect(again).toMatchObject({ imageId: first.imageId, created: false });

    const items = (await store.list({ limit: 50 })).items;
    // Bumped to the top by the newer enrichment.
    expect(items.map((i) => i.id)).toEqual([first.imageId, expect.any(String)]);
    expect(items[0]?.tags).toEqual(['latest', 'v1', 'v1.0.1']);
    const detail = await store.get(first.imageId);
    expect(detail).toMatchObject({ size: 42, platforms: [], platformsDetail: [], referrers: [] });
    expect(detail?.scan).toBeUndefined();
    expect((await store.list({ tag: 'latest', limit: 50 })).items.map((i) => i.id)).toEqual([first.imageId]);
  });

  it('adds a build for a new workflow run of the same image; the newest is the latest build', async () => {
    const clock = manualClock();
    const store = subject.store(clock.now);
    const a = await store.recordEnrichment(report(1));
    clock.advance(1000);
    const rerun = report(1, {
      git: { repo: 'acme/app', branch: 'release/1.x', sha: hex(99, 40), message: 'cherry-pick' },
      pullRequests: [],
      issues: [
        { key: 'OPS-7', title: 'Ship', status: 'In Progress', url: 'https://jira.example.com/browse/OPS-7' },
      ],
    });
    rerun.build = {
      ...rerun.build,
      workflowUrl: 'https://ci.example.com/runs/1b',
      reportId: 'rep_1b',
      reportedAt: '2025-01-01T00:00:01.000Z',
    };
    const b = await store.recordEnrichment(rerun);
    expect(b).toMatchObject({ imageId: a.imageId, created: false, buildCreated: true });
    expect(b.buildId).not.toBe(a.buildId);

    const [item] = (await store.list({ limit: 50 })).items;
    expect(item?.latestBuild?.workflowUrl).toBe('https://ci.example.com/runs/1b');
    expect(item?.git).toEqual({
      repo: 'acme/app',
      branch: 'release/1.x',
      sha: hex(99, 40),
      message: 'cherry-pick',
    });
    expect(item?.issues).toEqual(['OPS-7', 'PROJ-1']);
    const detail = await store.get(a.imageId);
    expect(detail?.builds.map((x) => x.id)).toEqual([b.buildId, a.buildId]);
    expect(detail?.commits.map((c) => c.sha)).toEqual([hex(99, 40), hex(1, 40)]);
    expect(detail?.issueDetails.map((i) => i.key)).toEqual(['OPS-7', 'PROJ-1']);
  });

  it('keeps the Dockerfile with its build; a repeat of the build without one keeps it', async () => {
    const store = subject.store(manualClock().now);
    const r = report(5);
    r.build = { ...r.build, dockerfile: 'FROM alpine:3.20\nRUN echo "<b>&amp;</b>"\n' };
    const res = await store.recordEnrichment(r);
    const again = report(5);
    again.build = { ...again.build, reportId: 'rep_5b', reportedAt: '2025-01-01T00:00:05.000Z' };
    expect(await store.recordEnrichment(again)).toMatchObject({ buildId: res.buildId, buildCreated: false });
    const detail = await store.get(res.imageId);
    expect(detail?.builds).toHaveLength(1);
    expect(detail?.builds[0]?.dockerfile).toBe('FROM alpine:3.20\nRUN echo "<b>&amp;</b>"\n');
  });

  it('filters by repository (exact and prefix), registry, tag, branch, commit, issue and digest', async () => {
    const clock = manualClock();
    const store = subject.store(clock.now);
    const ids: string[] = [];
    const specs: Array<[Partial<EnrichedImage>, Partial<EnrichmentRecord>]> = [
      [{ repository: 'team/app' }, {}],
      [{ repository: 'team/app-worker', tags: ['latest'] }, {}],
      [
        { repository: 'team-b/app' },
        { git: { repo: 'acme/b', branch: 'feature/x', sha: 'abcdef1234567890abcdef1234567890abcdef12' } },
      ],
      [
        { repository: 'other', registry: 'ghcr.io', registryType: 'registry.oci', tags: ['latest'] },
        { issues: [] },
      ],
    ];
    for (const [n, [img, over]] of specs.entries()) {
      ids.push((await store.recordEnrichment(report(n + 1, over, img))).imageId);
      clock.advance(1000);
    }
    const [a, b, c, d] = ids;
    const q = async (query: Omit<ImageListQuery, 'limit'>) => (await all(store, query)).map((i) => i.id);

    expect(await q({})).toEqual([d, c, b, a]);
    expect(await q({ repository: 'team/app' })).toEqual([a]);
    expect(await q({ repository: 'team/*' })).toEqual([b, a]);
    expect(await q({ repository: 'team*' })).toEqual([c, b, a]);
    expect(await q({ repository: '*' })).toEqual([d, c, b, a]);
    expect(await q({ repository: 'nope/*' })).toEqual([]);
    expect(await q({ registry: 'ghcr.io' })).toEqual([d]);
    expect(await q({ tag: 'latest' })).toEqual([d, b]);
    expect(await q({ tag: 'v3' })).toEqual([c]);
    expect(await q({ branch: 'feature/x' })).toEqual([c]);
    expect(await q({ branch: 'main' })).toEqual([d, b, a]);
    expect(await q({ commit: 'ABCDEF1' })).toEqual([c]);
    expect(await q({ commit: 'abcdef1234567890abcdef1234567890abcdef12' })).toEqual([c]);
    expect(await q({ commit: hex(2, 40) })).toEqual([b]);
    expect(await q({ issue: 'proj-2' })).toEqual([b]);
    expect(await q({ issue: 'PROJ-4' })).toEqual([]);
    expect(await q({ digest: digestOf(3) })).toEqual([c]);
    expect(await q({ digest: hex(3) })).toEqual([c]);
    expect(await q({ repository: 'team/*', tag: 'latest' })).toEqual([b]);
    expect(await q({ registry: 'ghcr.io', branch: 'feature/x' })).toEqual([]);
  });

  it('pages through 120 images with limit 50: each exactly once, newest first', async () => {
    const clock = manualClock();
    const store = subject.store(clock.now);
    for (let n = 0; n < 120; n++) {
      await store.recordEnrichment(report(n, { pullRequests: [], issues: [] }));
      // Groups of three share a timestamp, so the id tie-breaker is exercised at page boundaries.
      if (n % 3 === 2) clock.advance(1);
    }
    const pages: ImageSummary[][] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list({ limit: 50, ...(cursor ? { cursor } : {}) });
      pages.push(page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages.map((p) => p.length)).toEqual([50, 50, 20]);
    const items = pages.flat();
    expect(new Set(items.map((i) => i.id)).size).toBe(120);
    expect(new Set(items.map((i) => i.digest)).size).toBe(120);
    const keys = items.map((i) => [i.updatedAt, i.id] as const);
    const sorted = [...keys].sort((x, y) => (x[0] === y[0] ? (x[1] < y[1] ? 1 : -1) : x[0] < y[0] ? 1 : -1));
    expect(keys).toEqual(sorted);
    // A page that ends exactly at the last item has no next cursor.
    expect((await store.list({ limit: 120 })).nextCursor).toBeUndefined();
    expect((await store.list({ limit: 119 })).nextCursor).toBeDefined();
  });

  it('rejects malformed cursors and filters with an InputError', async () => {
    const store = subject.store();
    await store.recordEnrichment(report(1));
    for (const cursor of [
      'not a cursor',
      '!!!',
      Buffer.from('{"a":1}').toString('base64url'),
      Buffer.from('["yesterday","img_x"]').toString('base64url'),
      Buffer.from('["2025-01-01T00:00:00.000Z"]').toString('base64url'),
      Buffer.from('not json').toString('base64url'),
    ]) {
      await expect(store.list({ limit: 50, cursor })).rejects.toBeInstanceOf(InputError);
    }
    await expect(store.list({ limit: 50, commit: 'abc' })).rejects.toBeInstanceOf(InputError);
    await expect(store.list({ limit: 50, commit: 'zzzzzzzz' })).rejects.toBeInstanceOf(InputError);
    await expect(store.list({ limit: 0 })).rejects.toBeInstanceOf(InputError);
    await expect(store.list({ limit: 50, repository: 'a*b*' })).rejects.toBeInstanceOf(InputError);
    // A well-formed cursor past the end is simply an empty page.
    expect(
      await store.list({
        limit: 50,
        cursor: encodeCursor({ updatedAt: '2000-01-01T00:00:00.000Z', id: 'img_0' }),
      }),
    ).toEqual({
      items: [],
    });
  });

  if (label === 'fake') return;

  it('records concurrent reports of one new digest as one image', async () => {
    const database = subject.database!();
    const { openDatabase } = await import('../../src/store/database.js');
    // PostgreSQL: four connections racing on the unique key. SQLite: one handle per process, as the server
    // runs it (Kysely queues its transactions). Four better-sqlite3 handles on one file in ONE process would
    // deadlock: a waiting writer's busy_timeout blocks the event loop the lock holder needs to commit.
    const handles =
      database.engine === 'postgres'
        ? Array.from({ length: 4 }, () => openDatabase(database.url, { poolMax: 1 }))
        : [];
    const dbs = handles.length > 0 ? handles.map((h) => h.db) : [0, 1, 2, 3].map(() => database.db);
    try {
      const results = await Promise.all(
        dbs.map((db, w) => {
          const r = report(7);
          r.build = { ...r.build, workflowUrl: `https://ci.example.com/runs/7-${w}` };
          return new SqlImageStore({ db, dialect: database.engine }).recordEnrichment(r);
        }),
      );
      expect(new Set(results.map((r) => r.imageId)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      const detail = await subject.store().get(results[0]?.imageId ?? '');
      expect(detail?.builds).toHaveLength(4);
    } finally {
      await Promise.all(handles.map((h) => h.close()));
    }
  });

  it('seedImages bulk-inserts synthetic images that list finds', async () => {
    const { db } = subject.database!();
    const seeded = await seedImages(db, 1000, { batchSize: 300 });
    expect(seeded).toMatchObject({ images: 1000 });
    const store = subject.store();
    const everything = await all(store, { limit: 200 });
    expect(everything).toHaveLength(1000);
    expect(new Set(everything.map((i) => i.id)).size).toBe(1000);
    expect(everything.every((i) => i.tags.length > 0 && i.latestBuild !== undefined)).toBe(true);
    const byRepo = await all(store, { repository: everything[0]?.repository ?? '' });
    expect(byRepo.length).toBeGreaterThan(0);
    expect(byRepo.every((i) => i.repository === everything[0]?.repository)).toBe(true);
    expect((await all(store, { branch: 'main' })).length).toBeGreaterThan(0);
    expect((await all(store, { issue: 'SEED-1' })).length).toBeGreaterThan(0);
  });
});
