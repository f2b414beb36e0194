import type { ExpressionBuilder, Kysely, Selectable, SelectQueryBuilder } from 'kysely';
import * as pgJson from 'kysely/helpers/postgres';
import * as sqliteJson from 'kysely/helpers/sqlite';
import type { ImageSummary } from '../contract/images.js';
import type { DialectName } from './database.js';
import type { Database, ImagesTable } from './schema.js';
import { openPlacesOf } from './sql-deployment-images.js';
import { compact } from './sql-image-rows.js';

/**
 * The list's view of image rows: each row with its tags, platforms, latest build, Git facts and issues, in
 * ONE statement (correlated JSON subqueries per row; for the list, also its "deployed in N"). It used to be the page statement and then five more in
 * parallel: six round trips and up to five pooled connections per list request, whose p95 on a busy
 * PostgreSQL host followed the slowest of them (ADR 0032).
 */

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

/** Kysely's JSON helpers of each dialect: the same query shape, the dialect's aggregate functions. */
const JSON_HELPERS = {
  postgres: { arrayFrom: pgJson.jsonArrayFrom, objectFrom: pgJson.jsonObjectFrom },
  sqlite: { arrayFrom: sqliteJson.jsonArrayFrom, objectFrom: sqliteJson.jsonObjectFrom },
} as const;

type Db = Kysely<Database>;
type ImagesQuery = SelectQueryBuilder<Database, 'images', ImageRow>;

interface LatestBuild {
  workflow_name: string | null;
  workflow_url: string | null;
  reported_at: string;
}
interface GitBuild {
  git_repo: string | null;
  git_branch: string | null;
  git_sha: string | null;
  c_message: string | null;
}

/** An image row and its summary; the detail page reads both. */
export interface SummaryRow {
  row: ImageRow;
  summary: ImageSummary;
}

/** Which summaries to read: the list's carry "deployed in N"; the detail lists the deployments instead. */
export interface SummaryOptions {
  deployedIn?: boolean;
}

/**
 * The rows of `images` (any query selecting all of `images`, limited by the caller) with their summaries,
 * newest `updated_at` first, in one statement whatever the page size.
 */
export async function summaries(
  db: Db,
  dialect: DialectName,
  images: ImagesQuery,
  opts: SummaryOptions = {},
): Promise<SummaryRow[]> {
  const rows = await db
    .selectFrom(images.as('p'))
    .selectAll('p')
    .select((eb) => children(eb, dialect))
    .$if(opts.deployedIn === true, (qb) => qb.select((eb) => openPlacesOf(eb).as('n_deployed')))
    .orderBy('p.updated_at', 'desc')
    .orderBy('p.id', 'desc')
    .execute();
  return rows.map(({ j_tags, j_platforms, j_build, j_git, j_issues, n_deployed, ...row }) => {
    const summary = toSummary(row, {
      tags: fromJson(j_tags),
      platforms: fromJson(j_platforms),
      build: fromJson(j_build),
      git: fromJson(j_git),
      issues: fromJson(j_issues),
    });
    // PostgreSQL's count is a bigint, which its driver hands back as text.
    if (n_deployed !== undefined) summary.deployedIn = Number(n_deployed);
    return { row, summary };
  });
}

/** Each image's children as correlated JSON subqueries, one index lookup per page row each. */
function children(eb: ExpressionBuilder<Database & { p: ImageRow }, 'p'>, dialect: DialectName) {
  const { arrayFrom, objectFrom } = JSON_HELPERS[dialect];
  return [
    arrayFrom(
      eb
        .selectFrom('image_tags as t')
        .select('t.tag')
        .whereRef('t.image_id', '=', 'p.id')
        .orderBy('t.first_seen_at')
        .orderBy('t.tag'),
    ).as('j_tags'),
    arrayFrom(
      eb
        .selectFrom('image_platforms as pl')
        .select(['pl.os', 'pl.architecture', 'pl.variant'])
        .whereRef('pl.image_id', '=', 'p.id')
        .orderBy('pl.position'),
    ).as('j_platforms'),
    objectFrom(
      eb
        .selectFrom('builds as b')
        .select(['b.workflow_name', 'b.workflow_url', 'b.reported_at'])
        .whereRef('b.image_id', '=', 'p.id')
        .orderBy('b.reported_at', 'desc')
        .orderBy('b.id', 'desc')
        .limit(1),
    ).as('j_build'),
    // The newest build that had Git facts, so a later report without them does not blank the commit.
    objectFrom(
      eb
        .selectFrom('builds as g')
        .leftJoin('commits as c', (join) =>
          join
            .onRef('c.sha', '=', 'g.git_sha')
            .on((e) => e('c.repo', '=', e.fn.coalesce('g.git_repo', e.val('')))),
        )
        .select(['g.git_repo', 'g.git_branch', 'g.git_sha', 'c.message as c_message'])
        .where((e) => e.or([e('g.git_sha', 'is not', null), e('g.git_branch', 'is not', null)]))
        .whereRef('g.image_id', '=', 'p.id')
        .orderBy('g.reported_at', 'desc')
        .orderBy('g.id', 'desc')
        .limit(1),
    ).as('j_git'),
    arrayFrom(
      eb
        .selectFrom('build_issues as bi')
        .innerJoin('builds as ib', 'ib.id', 'bi.build_id')
        .select('bi.issue_key')
        .distinct()
        .whereRef('ib.image_id', '=', 'p.id')
        .orderBy('bi.issue_key'),
    ).as('j_issues'),
  ] as const;
}

/** PostgreSQL's driver parses json; SQLite hands back its text. */
function fromJson<T>(value: T | string): T {
  return typeof value === 'string' ? (JSON.parse(value) as T) : value;
}

interface Children {
  tags: Array<{ tag: string }>;
  platforms: Array<{ os: string; architecture: string; variant: string | null }>;
  build: LatestBuild | null;
  git: GitBuild | null;
  issues: Array<{ issue_key: string }>;
}

function toSummary(r: ImageRow, c: Children): ImageSummary {
  const s: ImageSummary = {
    id: r.id,
    registry: r.registry,
    repository: r.repository,
    digest: r.digest,
    mediaType: r.media_type,
    tags: c.tags.map((t) => t.tag),
    size: Number(r.size),
    platforms: c.platforms.map((p) =>
      p.variant === null
        ? { os: p.os, architecture: p.architecture }
        : { os: p.os, architecture: p.architecture, variant: p.variant },
    ),
    issues: c.issues.map((i) => i.issue_key),
    updatedAt: r.updated_at,
  };
  if (r.created_at !== null) s.createdAt = r.created_at;
  if (r.pushed_at !== null) s.pushedAt = r.pushed_at;
  if (c.build) {
    s.latestBuild = compact({
      workflowName: c.build.workflow_name,
      workflowUrl: c.build.workflow_url,
      reportedAt: c.build.reported_at,
    }) as NonNullable<ImageSummary['latestBuild']>;
  }
  if (c.git) {
    const g = c.git;
    const git = compact({ repo: g.git_repo, branch: g.git_branch, sha: g.git_sha, message: g.c_message });
    if (Object.keys(git).length > 0) s.git = git;
  }
  return s;
}
