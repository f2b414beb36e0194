import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnrichedImage } from '../../src/contract/images.js';
import type { EnrichmentRecord } from '../../src/store/image-store.js';
import type { Database } from '../../src/store/schema.js';
import { SqlImageStore } from '../../src/store/sql-image-store.js';
import { SqlReportStore } from '../../src/store/sql-report-store.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { enrichedImage } from '../helpers/enrichment-record.js';

// PostgreSQL records a plain report (tags and platforms, no referrers, Git commit or issues) in one statement
// (sql-image-record-pg.ts). That statement reads the image's child rows as of its start; these tests pin
// that a recording committed while it waited for the image row is not missed (the list copies of
// migration 0008 stay equal to the image's updated_at), and what it writes equals the transaction's.

const HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const DIGEST = `sha256:${'c'.repeat(64)}`;

function record(n: number, tags: string[], extra: Partial<EnrichedImage> = {}): EnrichmentRecord {
  return {
    image: enrichedImage({ repository: 'team/app', digest: DIGEST, tags, ...extra }),
    build: {
      runtime: 'local',
      reportId: `rep_${n}`,
      reportedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
      workflowName: 'ci',
      workflowUrl: `https://ci.example/runs/${n % 2}`,
    },
  };
}

let database: TestDatabase;
let pool: pg.Pool;
let db: Kysely<Database>;
const sent: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase('postgres');
  pool = new pg.Pool({ connectionString: database.url, max: 4 });
  // The database is dropped WITH (FORCE) at the end: an idle client ended by it is no test failure.
  pool.on('error', () => undefined);
  db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log: (e) => void sent.push(e.query.sql),
  });
}, 60_000);

afterAll(async () => {
  await db?.destroy();
  await database?.destroy();
});

async function copies(imageId: string) {
  const image = await db
    .selectFrom('images')
    .select('updated_at')
    .where('id', '=', imageId)
    .executeTakeFirstOrThrow();
  const tags = await db
    .selectFrom('image_tags')
    .select(['tag', 'image_updated_at'])
    .where('image_id', '=', imageId)
    .orderBy('tag')
    .execute();
  const builds = await db
    .selectFrom('builds')
    .select(['build_key', 'image_updated_at'])
    .where('image_id', '=', imageId)
    .execute();
  return { updatedAt: image.updated_at, tags, builds };
}

describe('one-statement recording on PostgreSQL', () => {
  it('writes a known image in one statement, with the same rows the transaction writes', async () => {
    const store = new SqlImageStore({ db, dialect: 'postgres' });
    const first = await store.recordEnrichment(record(1, ['v1']));
    expect(first.created).toBe(true);
    const from = sent.length;
    // A second build of the same image, a new tag, the first tag seen again.
    const again = await store.recordEnrichment(record(2, ['v1', 'v2']));
    expect(sent.slice(from), sent.slice(from).join('\n')).toHaveLength(1);
    expect(again).toMatchObject({ imageId: first.imageId, created: false, buildCreated: true });
    const c = await copies(first.imageId);
    expect(c.tags.map((t) => t.tag)).toEqual(['v1', 'v2']);
    expect(c.builds).toHaveLength(2);
    for (const row of [...c.tags, ...c.builds]) expect(row.image_updated_at).toBe(c.updatedAt);
    // The same build again: no new build, the report id moves on.
    const repeat = await store.recordEnrichment(record(3, ['v2']));
    expect(repeat).toMatchObject({ buildId: first.buildId, buildCreated: false });
    const detail = await store.get(first.imageId);
    expect(detail?.tags).toEqual(expect.arrayContaining(['v1', 'v2']));
  });

  it('replaces the platforms an earlier enrichment recorded', async () => {
    const store = new SqlImageStore({ db, dialect: 'postgres' });
    const platform = {
      digest: `sha256:${'d'.repeat(64)}`,
      os: 'linux',
      architecture: 'arm64',
      size: 1,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
    };
    const { imageId } = await store.recordEnrichment(record(4, ['v3'], { platforms: [platform] }));
    expect((await store.get(imageId))?.platforms).toHaveLength(1);
    await store.recordEnrichment(record(5, ['v3']));
    expect((await store.get(imageId))?.platforms).toHaveLength(0);
  });

  it('records platforms in the same one statement, replacing the earlier ones as the transaction does', async () => {
    // A single-platform manifest lists its own platform: most reports (the benchmark's OCI images) have one.
    const store = new SqlImageStore({ db, dialect: 'postgres' });
    const own = { digest: `sha256:${'a'.repeat(64)}` };
    const platform = (c: string, architecture: string, config?: { created: string }) => ({
      digest: `sha256:${c.repeat(64)}`,
      os: 'linux',
      architecture,
      ...(architecture === 'arm' ? { variant: 'v7' } : {}),
      size: 2 ** 40,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      ...(config ? { config } : {}),
    });
    const two = [platform('1', 'amd64'), platform('2', 'arm'), platform('1', 'amd64')];
    const { imageId } = await store.recordEnrichment(record(10, ['v1'], { ...own, platforms: two }));
    const rows = () =>
      db
        .selectFrom('image_platforms')
        .selectAll()
        .where('image_id', '=', imageId)
        .orderBy('position')
        .execute();
    expect((await rows()).map((r) => [r.position, r.architecture, r.variant])).toEqual([
      [0, 'amd64', null],
      [1, 'arm', 'v7'],
    ]);
    const one = [platform('3', 'arm64', { created: '2026-01-01T00:00:00Z' })];
    const from = sent.length;
    await store.recordEnrichment(record(11, ['v1'], { ...own, platforms: one }));
    expect(sent.slice(from), sent.slice(from).join('\n')).toHaveLength(1);
    expect(await rows()).toEqual([
      {
        image_id: imageId,
        position: 0,
        digest: one[0]!.digest,
        os: 'linux',
        architecture: 'arm64',
        variant: null,
        size: String(2 ** 40),
        media_type: one[0]!.mediaType,
        config: JSON.stringify(one[0]!.config),
      },
    ]);
    expect((await store.get(imageId))?.platforms).toMatchObject([{ os: 'linux', architecture: 'arm64' }]);
  });

  it('sees the rows of a recording that committed while it waited for the image row', async () => {
    const store = new SqlImageStore({ db, dialect: 'postgres' });
    const own = { digest: `sha256:${'e'.repeat(64)}` };
    const { imageId } = await store.recordEnrichment(record(6, ['v1'], own));
    const reports = new SqlReportStore({ db, dialect: 'postgres' });
    const input = {
      image: `${HOST}/team/app:v1`,
      workflow: { name: 'ci', url: 'https://ci.example/runs/7' },
    };
    const { id } = await reports.enqueue(input, { runtime: 'edge', maxAttempts: 3 });
    expect((await reports.claim({ owner: 'lease-0', leaseMs: 30_000 }))?.id).toBe(id);
    // Another replica's recording of the same image, in flight: it holds the image row and adds a tag.
    const other = await pool.connect();
    try {
      await other.query('begin');
      await other.query(`update images set updated_at = '2030-01-01T00:00:00.000Z' where id = $1`, [imageId]);
      await other.query(
        `insert into image_tags (image_id, tag, first_seen_at, image_updated_at)
         values ($1, 'late', '2030-01-01T00:00:00.000Z', '2030-01-01T00:00:00.000Z')`,
        [imageId],
      );
      // With an agent's completion: written after the fallback's recording, not by the held-back statement.
      const ours = store.recordEnrichment(record(7, ['v1'], own), {
        reportId: id,
        owner: 'lease-0',
        steps: [],
      });
      // Ours has started and waits for the image row's lock.
      await new Promise((r) => setTimeout(r, 300));
      await other.query('commit');
      // The fallback transaction completes the report with its recording, in the same commit.
      expect((await ours).completed).toBe(true);
      expect((await reports.get(id))?.status).toBe('succeeded');
    } finally {
      other.release();
    }
    const c = await copies(imageId);
    expect(c.tags.map((t) => t.tag)).toEqual(['late', 'v1']);
    for (const row of [...c.tags, ...c.builds]) expect(row.image_updated_at).toBe(c.updatedAt);
  });

  it("marks the agent's report succeeded in the same statement, only while the lease is its own", async () => {
    const store = new SqlImageStore({ db, dialect: 'postgres' });
    const reports = new SqlReportStore({ db, dialect: 'postgres' });
    const own = { digest: `sha256:${'f'.repeat(64)}` };
    await store.recordEnrichment(record(8, ['v1'], own));
    const input = {
      image: `${HOST}/team/app:v1`,
      workflow: { name: 'ci', url: 'https://ci.example/runs/9' },
    };
    const { id } = await reports.enqueue(input, { runtime: 'edge', maxAttempts: 3 });
    const job = await reports.claim({ owner: 'lease-1', leaseMs: 30_000 });
    expect(job?.id).toBe(id);
    const steps = [{ name: 'registry', status: 'ok' as const, at: new Date().toISOString() }];

    // Not the lease holder: the image is recorded (as before), the report is not touched.
    const stranger = await store.recordEnrichment(record(9, ['v1'], own), {
      reportId: id,
      owner: 'lease-2',
      steps,
    });
    expect(stranger.completed).toBe(false);
    expect((await reports.get(id))?.status).toBe('running');

    const from = sent.length;
    const done = await store.recordEnrichment(record(9, ['v1'], own), {
      reportId: id,
      owner: 'lease-1',
      steps,
    });
    expect(sent.slice(from)).toHaveLength(1);
    expect(done.completed).toBe(true);
    expect(await reports.get(id)).toMatchObject({
      status: 'succeeded',
      result: { imageId: done.imageId, digest: own.digest },
      steps: [{ name: 'registry', status: 'ok' }],
    });
  });
});
