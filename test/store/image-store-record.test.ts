import { describe, expect, it } from 'vitest';
import type { ImageSummary } from '../../src/contract/images.js';
import { SqlImageStore } from '../../src/store/sql-image-store.js';
import { digestOf, hex, report, subjects, useEmptyImageTables } from './image-store-subjects.js';
import { manualClock } from './manual-clock.js';

// The image store records enrichments: detail, summary, idempotency, new tags and builds of a known image,
// concurrent reports. On the in-memory fake and both SQL engines. Listing: image-store-list.test.ts.

describe.each(subjects)('image store (%s)', (label, setup) => {
  const subject = setup();

  useEmptyImageTables(subject);

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
});
