import { createHash, randomBytes } from 'node:crypto';
import type { Insertable, Kysely } from 'kysely';
import type {
  BuildIssuesTable,
  BuildsTable,
  Database,
  ImageTagsTable,
  ImagesTable,
} from '../src/store/schema.js';

/**
 * Bulk-inserts synthetic images (+ tags, one build each, some issue links) for the list benchmarks:
 * 100k on SQLite, 1M on PostgreSQL. Multi-row INSERTs, one transaction per batch, no per-row round trips.
 *
 * The data has the shape the filters care about: ~500 repositories over 20 teams, 10% on a second
 * registry, a `latest` tag on 1% of images, 1 build in 7 on a feature branch, 1 in 5 linked to one of
 * 1000 issues (SEED-1 … SEED-1000), unique digests and commit SHAs, and distinct `updated_at` values.
 */

export interface SeedOptions {
  /** Rows per INSERT. Default 1000: 17 columns × 1000 stays under SQLite's and PostgreSQL's parameter limits. */
  batchSize?: number;
  /** First `updated_at`; each image is 1 ms newer than the previous. Default 2024-01-01. */
  start?: Date;
}

export interface SeedResult {
  images: number;
  tags: number;
  builds: number;
  buildIssues: number;
  ms: number;
}

const ISSUE_COUNT = 1000;
// Above this the multi-row statement risks SQLite's default 32 766 bound parameters (images have 17 columns).
const MAX_BATCH = 1900;

export async function seedImages(
  db: Kysely<Database>,
  count: number,
  opts: SeedOptions = {},
): Promise<SeedResult> {
  const batchSize = Math.max(1, Math.min(MAX_BATCH, Math.trunc(opts.batchSize ?? 1000)));
  const start = (opts.start ?? new Date('2024-01-01T00:00:00.000Z')).getTime();
  // Per run, so seeding twice into one database never collides on ids, digests or build keys.
  const run = randomBytes(4).toString('hex');
  const began = performance.now();
  const totals = { images: 0, tags: 0, builds: 0, buildIssues: 0 };

  const issueAt = new Date(start).toISOString();
  for (let from = 1; from <= ISSUE_COUNT; from += batchSize) {
    const keys = Array.from(
      { length: Math.min(batchSize, ISSUE_COUNT - from + 1) },
      (_, k) => `SEED-${from + k}`,
    );
    await db
      .insertInto('issues')
      .values(
        keys.map((key) => ({
          key,
          title: `Seeded issue ${key}`,
          status: 'Done',
          status_category: 'done',
          assignee: null,
          url: `https://jira.example.com/browse/${key}`,
          updated_at: issueAt,
        })),
      )
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
  }

  for (let from = 0; from < count; from += batchSize) {
    const to = Math.min(count, from + batchSize);
    const images: Insertable<ImagesTable>[] = [];
    const tags: Insertable<ImageTagsTable>[] = [];
    const builds: Insertable<BuildsTable>[] = [];
    const links: Insertable<BuildIssuesTable>[] = [];
    for (let i = from; i < to; i++) {
      const at = new Date(start + i).toISOString();
      const seq = String(i).padStart(9, '0');
      const id = `img_seed${run}${seq}`;
      const buildId = `bld_seed${run}${seq}`;
      const h = createHash('sha256').update(`${run}:${i}`).digest('hex');
      const repo = i % 500;
      images.push({
        id,
        registry: i % 10 === 0 ? 'ghcr.io' : '123456789012.dkr.ecr.us-east-1.amazonaws.com',
        repository: `team-${repo % 20}/service-${repo}`,
        digest: `sha256:${h}`,
        media_type: 'application/vnd.oci.image.manifest.v1+json',
        size: 50_000_000 + (i % 1000) * 10_000,
        registry_size: null,
        pushed_at: at,
        created_at: at,
        registry_type: i % 10 === 0 ? 'registry.oci' : 'registry.ecr',
        labels: '{}',
        annotations: '{}',
        config: '{"os":"linux","architecture":"amd64","historyCount":12}',
        scan: null,
        layers: '[]',
        first_seen_at: at,
        updated_at: at,
      });
      // image_updated_at: the copies the list's tag, branch and issue indexes read (migration 0008).
      tags.push({ image_id: id, tag: `build-${i}`, first_seen_at: at, image_updated_at: at });
      if (i % 100 === 0) tags.push({ image_id: id, tag: 'latest', first_seen_at: at, image_updated_at: at });
      builds.push({
        id: buildId,
        image_id: id,
        build_key: h,
        workflow_name: `service-${repo}-ci`,
        workflow_url: `https://ci.example.com/runs/${i}`,
        logs_url: null,
        ci_type: 'github-actions',
        runtime: 'local',
        report_id: `rep_seed${run}${seq}`,
        reported_at: at,
        git_provider: 'github',
        git_repo: `acme/service-${repo}`,
        git_branch: i % 7 === 0 ? `feature/f-${i % 50}` : 'main',
        git_sha: h.slice(0, 40),
        image_updated_at: at,
      });
      if (i % 5 === 0)
        links.push({
          build_id: buildId,
          issue_key: `SEED-${(i % ISSUE_COUNT) + 1}`,
          image_id: id,
          image_updated_at: at,
        });
    }

    await db.transaction().execute(async (trx) => {
      await trx.insertInto('images').values(images).execute();
      await trx.insertInto('image_tags').values(tags).execute();
      await trx.insertInto('builds').values(builds).execute();
      if (links.length > 0) await trx.insertInto('build_issues').values(links).execute();
    });
    totals.images += images.length;
    totals.tags += tags.length;
    totals.builds += builds.length;
    totals.buildIssues += links.length;
  }

  return { ...totals, ms: Math.round(performance.now() - began) };
}
