import type { Kysely, Selectable } from 'kysely';
import type { ImageSummary } from '../contract/images.js';
import type { Database, ImagesTable } from './schema.js';
import { compact, group, type BuildRow, type CommitJoin } from './sql-image-rows.js';

/** The list's view of image rows: each row with its tags, platforms, latest build, Git facts and issues. */

export type ImageRow = Selectable<ImagesTable>;

/** The commit columns joined onto a build (`c` is `commits`), named as `CommitJoin`. */
export const COMMIT_COLUMNS = [
  'c.message as c_message',
  'c.author as c_author',
  'c.committer as c_committer',
  'c.time as c_time',
  'c.url as c_url',
  'c.parents as c_parents',
] as const;

/** The children of a whole page in five queries, whatever the page size. */
export async function summaries(db: Kysely<Database>, rows: ImageRow[]): Promise<ImageSummary[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const [tags, platforms, builds, gitBuilds, issues] = await Promise.all([
    db
      .selectFrom('image_tags')
      .select(['image_id', 'tag'])
      .where('image_id', 'in', ids)
      .orderBy('first_seen_at')
      .orderBy('tag')
      .execute(),
    db
      .selectFrom('image_platforms')
      .select(['image_id', 'os', 'architecture', 'variant'])
      .where('image_id', 'in', ids)
      .orderBy('image_id')
      .orderBy('position')
      .execute(),
    latestBuilds(db, ids),
    latestBuilds(db, ids, true),
    db
      .selectFrom('build_issues')
      .innerJoin('builds', 'builds.id', 'build_issues.build_id')
      .select(['builds.image_id', 'build_issues.issue_key'])
      .distinct()
      .where('builds.image_id', 'in', ids)
      .orderBy('build_issues.issue_key')
      .execute(),
  ]);

  const tagsOf = group(tags, (t) => t.image_id);
  const platformsOf = group(platforms, (p) => p.image_id);
  const issuesOf = group(issues, (i) => i.image_id);
  const buildOf = new Map(builds.map((b) => [b.image_id, b]));
  const gitBuildOf = new Map(gitBuilds.map((b) => [b.image_id, b]));

  return rows.map((r) => {
    const s: ImageSummary = {
      id: r.id,
      registry: r.registry,
      repository: r.repository,
      digest: r.digest,
      mediaType: r.media_type,
      tags: (tagsOf.get(r.id) ?? []).map((t) => t.tag),
      size: Number(r.size),
      platforms: (platformsOf.get(r.id) ?? []).map((p) =>
        p.variant === null
          ? { os: p.os, architecture: p.architecture }
          : { os: p.os, architecture: p.architecture, variant: p.variant },
      ),
      issues: (issuesOf.get(r.id) ?? []).map((i) => i.issue_key),
      updatedAt: r.updated_at,
    };
    if (r.created_at !== null) s.createdAt = r.created_at;
    if (r.pushed_at !== null) s.pushedAt = r.pushed_at;
    addBuildFacts(s, buildOf.get(r.id), gitBuildOf.get(r.id));
    return s;
  });
}

function addBuildFacts(s: ImageSummary, b?: BuildRow & CommitJoin, g?: BuildRow & CommitJoin): void {
  if (b) {
    s.latestBuild = compact({
      workflowName: b.workflow_name,
      workflowUrl: b.workflow_url,
      reportedAt: b.reported_at,
    }) as NonNullable<ImageSummary['latestBuild']>;
  }
  if (g) {
    const git = compact({ repo: g.git_repo, branch: g.git_branch, sha: g.git_sha, message: g.c_message });
    if (Object.keys(git).length > 0) s.git = git;
  }
}

/**
 * The newest build of each image, with its commit message: one query with a window function. `withGit`:
 * the newest build that had Git facts, so a later report without them does not blank the image's commit.
 */
function latestBuilds(
  db: Kysely<Database>,
  ids: string[],
  withGit = false,
): Promise<Array<BuildRow & CommitJoin>> {
  const ranked = db
    .selectFrom('builds')
    .selectAll()
    .select((eb) =>
      eb.fn
        .agg<number>('row_number')
        .over((ob) => ob.partitionBy('image_id').orderBy('reported_at', 'desc').orderBy('id', 'desc'))
        .as('rn'),
    )
    .where('image_id', 'in', ids)
    .$if(withGit, (qb) =>
      qb.where((eb) => eb.or([eb('git_sha', 'is not', null), eb('git_branch', 'is not', null)])),
    );
  return db
    .selectFrom(ranked.as('b'))
    .leftJoin('commits as c', (join) =>
      join
        .onRef('c.sha', '=', 'b.git_sha')
        .on((eb) => eb('c.repo', '=', eb.fn.coalesce('b.git_repo', eb.val('')))),
    )
    .selectAll('b')
    .select(COMMIT_COLUMNS)
    .where('b.rn', '=', 1)
    .execute();
}
