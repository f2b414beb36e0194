import { describe, expect, it } from 'vitest';
import type { EnrichedImage, ImageListQuery, ImageSummary } from '../../src/contract/images.js';
import { FakeImageStore } from '../../src/store/fake-image-store.js';
import type { EnrichmentRecord, ImageStore } from '../../src/store/image-store.js';
import { migrateToLatest, migrations } from '../../src/store/migrations/index.js';
import type { Database } from '../../src/store/schema.js';
import { SqlImageStore } from '../../src/store/sql-image-store.js';
import { eachDatabase, useTestDatabase } from '../helpers/databases.js';
import { enrichedImage } from '../helpers/enrichment-record.js';
import type { Kysely } from 'kysely';

/**
 * Migration 0008 copies each image's `updated_at` onto its tags, builds and build-issue links so the list's
 * tag, branch and issue filters read their first page from one index. These tests prove the copies never
 * drift (every upsert rewrites them), the list returns what it returned before (the fake store, which has
 * no copies, is the oracle), and the migration backfills rows that existed before it.
 */

const hex = (n: number, len = 64) => n.toString(16).padStart(len, '0');
const HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';

function clock(start = Date.parse('2026-01-01T00:00:00.000Z')) {
  let t = start;
  return () => new Date((t += 1000));
}

/** A small deterministic generator, so a failure replays exactly. */
function random(seed: number) {
  let s = seed;
  return (n: number) => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    // The high bits: an LCG's low bits repeat with a short period.
    return (s >>> 16) % n;
  };
}

function image(n: number, tags: string[]): EnrichedImage {
  return enrichedImage({
    repository: n % 2 === 0 ? 'team/even' : 'team/odd',
    digest: `sha256:${hex(n)}`,
    tags,
    size: 1000 + n,
  });
}

const BRANCHES = ['main', 'feature/a', 'feature/b'];
const ISSUES = ['PROJ-1', 'PROJ-2', 'PROJ-3', 'PROJ-4'];

/** 120 reports over 24 images: new and repeated builds, tags added over time, issues, some without Git. */
function reports(): EnrichmentRecord[] {
  const rnd = random(42);
  const out: EnrichmentRecord[] = [];
  for (let k = 0; k < 120; k++) {
    const n = rnd(24);
    const run = rnd(3); // a repeated run is the same build: its upsert must refresh the copy too
    const withGit = rnd(5) !== 0;
    const issues = ISSUES.filter(() => rnd(3) === 0);
    out.push({
      image: image(n, [`v${n}`, `t${rnd(6)}`]),
      build: {
        runtime: 'local',
        reportId: `rep_${k}`,
        reportedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, k)).toISOString(),
        workflowName: 'ci',
        workflowUrl: `https://ci.example.com/${n}/${run}`,
      },
      ...(withGit
        ? { git: { repo: 'acme/app', branch: BRANCHES[rnd(3)] ?? 'main', sha: hex(n * 10 + run, 40) } }
        : {}),
      issues: issues.map((key) => ({
        key,
        title: key,
        status: 'Open',
        url: `https://jira.example.com/${key}`,
      })),
    });
  }
  return out;
}

async function everyPage(store: ImageStore, query: Omit<ImageListQuery, 'limit'>): Promise<ImageSummary[]> {
  const out: ImageSummary[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 200; i++) {
    // A small page, so the cursor crosses images whose copies were rewritten.
    const page = await store.list({ ...query, limit: 3, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    if (!page.nextCursor) return out;
    cursor = page.nextCursor;
  }
  throw new Error('too many pages');
}

/** What a list shows, without the store-specific ids. */
const shown = (items: ImageSummary[]) =>
  items.map((i) => ({
    digest: i.digest,
    updatedAt: i.updatedAt,
    tags: i.tags,
    issues: i.issues,
    branch: i.git?.branch,
  }));

/** Child rows whose copy differs from their image's `updated_at` (or whose link names another image). */
async function staleCopies(db: Kysely<Database>): Promise<unknown[]> {
  const tags = await db
    .selectFrom('image_tags as t')
    .innerJoin('images as i', 'i.id', 't.image_id')
    .select(['t.image_id', 't.tag as what', 't.image_updated_at', 'i.updated_at'])
    .whereRef('t.image_updated_at', '<>', 'i.updated_at')
    .execute();
  const builds = await db
    .selectFrom('builds as b')
    .innerJoin('images as i', 'i.id', 'b.image_id')
    .select(['b.image_id', 'b.id as what', 'b.image_updated_at', 'i.updated_at'])
    .whereRef('b.image_updated_at', '<>', 'i.updated_at')
    .execute();
  const links = await db
    .selectFrom('build_issues as l')
    .innerJoin('builds as b', 'b.id', 'l.build_id')
    .innerJoin('images as i', 'i.id', 'b.image_id')
    .select([
      'b.image_id',
      'l.issue_key as what',
      'l.image_id as copied',
      'l.image_updated_at',
      'i.updated_at',
    ])
    .where((eb) =>
      eb.or([
        eb('l.image_updated_at', '<>', eb.ref('i.updated_at')),
        eb('l.image_id', '<>', eb.ref('b.image_id')),
      ]),
    )
    .execute();
  return [...tags, ...builds, ...links];
}

const QUERIES: Array<Omit<ImageListQuery, 'limit'>> = [
  {},
  { tag: 't1' },
  { tag: 'v3' },
  { branch: 'feature/a' },
  { branch: 'main' },
  { issue: 'PROJ-2' },
  { issue: 'proj-4' },
  { tag: 't2', branch: 'feature/b' },
  { issue: 'PROJ-1', branch: 'main' },
  { issue: 'PROJ-3', repository: 'team/even' },
  { tag: 't0', repository: 'team/*', registry: HOST },
  { branch: 'main', commit: hex(40, 40).slice(0, 12) },
  { tag: 'nope' },
];

describe.each(eachDatabase())('list copies of updated_at (%s)', (engine) => {
  const database = useTestDatabase(engine);

  it('stay equal to the image updated_at through 120 upserts, and every filter lists what the fake store lists', async () => {
    const { db, engine } = database();
    const sql = new SqlImageStore({ db, dialect: engine, now: clock() });
    const fake = new FakeImageStore({ now: clock() });
    for (const r of reports()) {
      await sql.recordEnrichment(r);
      await fake.recordEnrichment(r);
    }
    expect(await staleCopies(db)).toEqual([]);
    const counts = await db
      .selectFrom('build_issues')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(counts.n)).toBeGreaterThan(20);

    for (const query of QUERIES) {
      const expected = shown(await everyPage(fake, query));
      expect({ query, items: shown(await everyPage(sql, query)) }).toEqual({ query, items: expected });
    }
    // The scenario exercises what it claims: filters that match several pages, and one that matches none.
    expect((await everyPage(sql, { branch: 'main' })).length).toBeGreaterThan(6);
    expect((await everyPage(sql, { issue: 'PROJ-2' })).length).toBeGreaterThan(3);
  });

  it('follow an image that is reported again: it moves to the top of its tag, branch and issue lists', async () => {
    const { db, engine } = database();
    const store = new SqlImageStore({
      db,
      dialect: engine,
      now: clock(Date.parse('2027-01-01T00:00:00.000Z')),
    });
    const rec = (n: number, branch: string, reportId: string): EnrichmentRecord => ({
      image: image(1000 + n, ['moving']),
      build: { runtime: 'local', reportId, reportedAt: '2027-01-01T00:00:00.000Z', workflowName: 'ci' },
      git: { repo: 'acme/moving', branch, sha: hex(5000 + n, 40) },
      issues: [{ key: 'MOVE-1', title: 'm', status: 'Open', url: 'https://jira.example.com/MOVE-1' }],
    });
    const first = await store.recordEnrichment(rec(1, 'moving', 'rep_m1'));
    await store.recordEnrichment(rec(2, 'moving', 'rep_m2'));
    // The same build of image 1 again (conflict path), then nothing new but its updated_at changed.
    await store.recordEnrichment(rec(1, 'moving', 'rep_m3'));
    expect(await staleCopies(db)).toEqual([]);
    for (const query of [{ tag: 'moving' }, { branch: 'moving' }, { issue: 'MOVE-1' }]) {
      const page = await store.list({ ...query, limit: 1 });
      expect({ query, first: page.items.map((i) => i.id) }).toEqual({ query, first: [first.imageId] });
      expect(page.nextCursor).toBeDefined();
      const next = await store.list({ ...query, limit: 1, cursor: page.nextCursor });
      expect(next.items.map((i) => i.digest)).toEqual([`sha256:${hex(1002)}`]);
      expect(next.nextCursor).toBeUndefined();
    }
  });
});

const before0008 = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '0008'));

describe.each(eachDatabase())('migration 0008 on %s', (engine) => {
  const database = useTestDatabase(engine, { migrate: false });

  it('backfills the copies of rows written before it, so the filters still find them', async () => {
    const { db, engine } = database();
    await migrateToLatest(db, before0008);
    const row = (n: number) => ({
      id: `img_${n}`,
      registry: HOST,
      repository: 'team/old',
      digest: `sha256:${hex(n)}`,
      media_type: 'application/vnd.oci.image.manifest.v1+json',
      size: 1,
      registry_type: 'registry.ecr',
      labels: '{}',
      annotations: '{}',
      layers: '[]',
      first_seen_at: '2025-01-01T00:00:00.000Z',
      updated_at: `2025-01-0${n}T00:00:00.000Z`,
    });
    await db
      .insertInto('images')
      .values([row(1), row(2), row(3)])
      .execute();
    await db
      .insertInto('image_tags')
      .values(
        [1, 2, 3].map((n) => ({
          image_id: `img_${n}`,
          tag: 'old',
          first_seen_at: '2025-01-01T00:00:00.000Z',
        })),
      )
      .execute();
    await db
      .insertInto('builds')
      .values(
        [1, 2, 3, 3].map((n, k) => ({
          id: `bld_${k}`,
          image_id: `img_${n}`,
          build_key: `k${k}`,
          runtime: 'local',
          report_id: `rep_${k}`,
          reported_at: '2025-01-01T00:00:00.000Z',
          git_branch: 'release',
        })),
      )
      .execute();
    await db
      .insertInto('issues')
      .values({
        key: 'OLD-1',
        title: 'old',
        status: 'Done',
        url: 'https://jira.example.com/OLD-1',
        updated_at: '2025-01-01T00:00:00.000Z',
      })
      .execute();
    await db
      .insertInto('build_issues')
      .values(['bld_0', 'bld_2', 'bld_3'].map((build_id) => ({ build_id, issue_key: 'OLD-1' })))
      .execute();

    await migrateToLatest(db);
    expect(await staleCopies(db)).toEqual([]);
    const store = new SqlImageStore({ db, dialect: engine });
    for (const query of [{ tag: 'old' }, { branch: 'release' }]) {
      const page = await store.list({ ...query, limit: 2 });
      expect(page.items.map((i) => i.id)).toEqual(['img_3', 'img_2']);
      const rest = await store.list({ ...query, limit: 2, cursor: page.nextCursor });
      expect(rest.items.map((i) => i.id)).toEqual(['img_1']);
    }
    const issue = await store.list({ issue: 'OLD-1', limit: 50 });
    expect(issue.items.map((i) => i.id)).toEqual(['img_3', 'img_1']);
  });
});
