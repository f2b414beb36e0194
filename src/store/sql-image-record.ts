import {
  sql,
  type Expression,
  type OnConflictBuilder,
  type QueryCreator,
  type QueryResult,
  type SqlBool,
  type Transaction,
} from 'kysely';
import type { EnrichedImage, GitFacts, IssueFacts, PullRequest } from '../contract/images.js';
import { buildKey, type EnrichmentRecord, type RecordResult } from './image-store.js';
import type { DialectName } from './database.js';
import type { Database } from './schema.js';
import { addTags, replacePlatformsAndReferrers } from './sql-image-children.js';
import type { RecordingStatements } from './recording-statements.js';

/**
 * Writing one enrichment: the image's registry facts, its children, the commit and its pull requests, the
 * build and its issues. One function per table group, run in this order inside the caller's transaction.
 */

type Trx = Transaction<Database>;

/** Fresh ids, used only when the row is new (an upsert of a known row keeps its id). */
export interface NewIds {
  imageId: string;
  buildId: string;
}

export async function recordEnrichment(
  trx: Trx,
  dialect: DialectName,
  statements: RecordingStatements,
  r: EnrichmentRecord,
  ids: NewIds,
  at: string,
): Promise<RecordResult> {
  // The image upsert is the first statement: on SQLite the transaction then takes the write lock before
  // it reads anything, so a concurrent writer in another process waits (busy_timeout) instead of failing.
  const imageId = await upsertImage(trx, statements, r.image, ids.imageId, at);
  const created = imageId === ids.imageId;
  if (!created) await refreshListCopies(trx, dialect, imageId, at);

  await addTags(trx, imageId, r.image.tags, at);
  await replacePlatformsAndReferrers(trx, dialect, imageId, r.image, !created);

  const sha = r.git?.sha?.toLowerCase();
  const repo = r.git?.repo ?? '';
  if (sha) {
    await upsertCommit(trx, repo, sha, r.git ?? {}, at);
    await linkPullRequests(trx, repo, sha, r.pullRequests ?? [], at);
  }

  const buildId = await upsertBuild(trx, statements, r, { imageId, newId: ids.buildId, sha, at });
  await linkIssues(trx, { buildId, imageId, at }, r.issues ?? []);

  return { imageId, buildId, created, buildCreated: buildId === ids.buildId };
}

async function upsertImage(
  trx: Trx,
  statements: RecordingStatements,
  image: EnrichedImage,
  newId: string,
  at: string,
): Promise<string> {
  return idOf(await trx.executeQuery(statements.image.bind(imageRow(image, newId, at))), 'image');
}

/** The image row's columns, as written. */
export function imageRow(image: EnrichedImage, newId: string, at: string) {
  return {
    id: newId,
    registry: image.registry,
    repository: image.repository,
    digest: image.digest,
    media_type: image.mediaType,
    size: image.size,
    registry_size: image.registrySize ?? null,
    pushed_at: image.pushedAt ?? null,
    created_at: image.createdAt ?? null,
    registry_type: image.registryType,
    labels: JSON.stringify(image.labels),
    annotations: JSON.stringify(image.annotations),
    config: image.config ? JSON.stringify(image.config) : null,
    scan: image.scan ? JSON.stringify(image.scan) : null,
    layers: JSON.stringify(image.layers),
    first_seen_at: at,
    updated_at: at,
  };
}
export type ImageRow = ReturnType<typeof imageRow>;

/**
 * The image upsert for a row: the statement template's builder (recording-statements.ts), and the
 * one-statement path's (sql-image-record-pg.ts), which adds `guard` to the conflict update. The row's
 * values pass through untouched: the template binds them by position (decision 0041).
 */
export function imageUpsertOf(qc: QueryCreator<Database>, row: ImageRow, guard?: Expression<SqlBool>) {
  return (
    qc
      .insertInto('images')
      .values(row)
      // Registry facts are replaced by the newest enrichment; first_seen_at and the id stay.
      .onConflict((oc) => {
        const update = oc.columns(['registry', 'repository', 'digest']).doUpdateSet((eb) => ({
          media_type: eb.ref('excluded.media_type'),
          size: eb.ref('excluded.size'),
          registry_size: eb.ref('excluded.registry_size'),
          pushed_at: eb.ref('excluded.pushed_at'),
          created_at: eb.ref('excluded.created_at'),
          registry_type: eb.ref('excluded.registry_type'),
          labels: eb.ref('excluded.labels'),
          annotations: eb.ref('excluded.annotations'),
          config: eb.ref('excluded.config'),
          scan: eb.ref('excluded.scan'),
          layers: eb.ref('excluded.layers'),
          updated_at: eb.ref('excluded.updated_at'),
        }));
        return guard ? update.where(guard) : update;
      })
  );
}

/**
 * The image's `updated_at` just moved to `at`: so do its copies on the rows the list filters read by index
 * (tags, builds, build-issue links; migration 0008). The image row is already locked by the upsert, so no
 * other recording of this image interleaves; rows inserted after this carry `at` themselves.
 */
async function refreshListCopies(trx: Trx, dialect: DialectName, imageId: string, at: string): Promise<void> {
  if (dialect === 'postgres') {
    // One statement where the engine allows it: each is a round trip (docs/benchmarks.md, CPU per report).
    await sql`with t as (update image_tags set image_updated_at = ${at} where image_id = ${imageId}),
      b as (update builds set image_updated_at = ${at} where image_id = ${imageId})
      update build_issues set image_updated_at = ${at} where image_id = ${imageId}`.execute(trx);
    return;
  }
  for (const table of ['image_tags', 'builds', 'build_issues'] as const) {
    await trx.updateTable(table).set({ image_updated_at: at }).where('image_id', '=', imageId).execute();
  }
}

async function upsertCommit(trx: Trx, repo: string, sha: string, git: GitFacts, at: string): Promise<void> {
  await trx
    .insertInto('commits')
    .values({
      repo,
      sha,
      provider: git.provider ?? null,
      message: git.message ?? null,
      author: git.author ? JSON.stringify(git.author) : null,
      committer: git.committer ? JSON.stringify(git.committer) : null,
      time: git.time ?? null,
      url: git.url ?? null,
      parents: git.parents ? JSON.stringify(git.parents) : null,
      updated_at: at,
    })
    // A later report may know less (no message); keep what an earlier one knew.
    .onConflict((oc) =>
      oc.columns(['repo', 'sha']).doUpdateSet((eb) => ({
        provider: eb.fn.coalesce(eb.ref('excluded.provider'), eb.ref('commits.provider')),
        message: eb.fn.coalesce(eb.ref('excluded.message'), eb.ref('commits.message')),
        author: eb.fn.coalesce(eb.ref('excluded.author'), eb.ref('commits.author')),
        committer: eb.fn.coalesce(eb.ref('excluded.committer'), eb.ref('commits.committer')),
        time: eb.fn.coalesce(eb.ref('excluded.time'), eb.ref('commits.time')),
        url: eb.fn.coalesce(eb.ref('excluded.url'), eb.ref('commits.url')),
        parents: eb.fn.coalesce(eb.ref('excluded.parents'), eb.ref('commits.parents')),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
}

async function linkPullRequests(
  trx: Trx,
  repo: string,
  sha: string,
  pullRequests: readonly PullRequest[],
  at: string,
): Promise<void> {
  // Sorted, so concurrent recordings lock shared rows in one order and cannot deadlock on PostgreSQL.
  const prs = [...new Map(pullRequests.map((p) => [p.number, p])).values()].sort(
    (a, b) => a.number - b.number,
  );
  if (prs.length === 0) return;
  await trx
    .insertInto('pull_requests')
    .values(
      prs.map((p) => ({
        repo,
        number: p.number,
        title: p.title,
        url: p.url,
        state: p.state,
        author: p.author ?? null,
        merged_at: p.mergedAt ?? null,
        updated_at: at,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['repo', 'number']).doUpdateSet((eb) => ({
        title: eb.ref('excluded.title'),
        url: eb.ref('excluded.url'),
        state: eb.ref('excluded.state'),
        author: eb.ref('excluded.author'),
        merged_at: eb.ref('excluded.merged_at'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
  await trx
    .insertInto('commit_pull_requests')
    .values(prs.map((p) => ({ repo, sha, number: p.number })))
    .onConflict((oc) => oc.columns(['repo', 'sha', 'number']).doNothing())
    .execute();
}

interface BuildTarget {
  imageId: string;
  /** Used when the build is new. */
  newId: string;
  /** Lowercase. */
  sha: string | undefined;
  at: string;
}

async function upsertBuild(
  trx: Trx,
  statements: RecordingStatements,
  r: EnrichmentRecord,
  target: BuildTarget,
): Promise<string> {
  const values = { ...buildRow(r, target), image_id: target.imageId };
  return idOf(await trx.executeQuery(statements.build.bind(values)), 'build');
}

function idOf(result: QueryResult<{ id: string }>, what: string): string {
  const id = result.rows[0]?.id;
  if (id === undefined) throw new Error(`the ${what} upsert returned no id`);
  return id;
}

/** The build row's upsert; the one-statement path (sql-image-record-pg.ts) inserts `buildRow` from a select. */
export type BuildValues = ReturnType<typeof buildRow> & { image_id: string };

/**
 * The build upsert for its values (the statement template's builder, recording-statements.ts). The values
 * pass through untouched: the template binds them by position (decision 0041).
 */
export function buildUpsertOf(qc: QueryCreator<Database>, values: BuildValues) {
  return qc.insertInto('builds').values(values).onConflict(onBuildConflict);
}

/** The build row's columns but its image. */
export function buildRow(r: EnrichmentRecord, { newId, sha, at }: Omit<BuildTarget, 'imageId'>) {
  const { build, git } = r;
  return {
    id: newId,
    build_key: buildKey(build, git),
    workflow_name: build.workflowName ?? null,
    workflow_url: build.workflowUrl ?? null,
    logs_url: build.logsUrl ?? null,
    ci_type: build.ciType ?? null,
    runtime: build.runtime,
    report_id: build.reportId,
    reported_at: build.reportedAt,
    git_provider: git?.provider ?? null,
    git_repo: git?.repo ?? null,
    git_branch: git?.branch ?? null,
    git_sha: sha ?? null,
    dockerfile: build.dockerfile ?? null,
    image_updated_at: at,
  };
}

/** The same build reported again: remember the latest report of it (never move back in time). */
export function onBuildConflict(oc: OnConflictBuilder<Database, 'builds'>) {
  return oc.columns(['image_id', 'build_key']).doUpdateSet((eb) => {
    const newer = eb.ref('excluded.reported_at');
    const current = eb.ref('builds.reported_at');
    return {
      report_id: eb
        .case()
        .when(newer, '>=', current)
        .then(eb.ref('excluded.report_id'))
        .else(eb.ref('builds.report_id'))
        .end(),
      reported_at: eb.case().when(newer, '>=', current).then(newer).else(current).end(),
      ci_type: eb.fn.coalesce(eb.ref('excluded.ci_type'), eb.ref('builds.ci_type')),
      dockerfile: eb.fn.coalesce(eb.ref('excluded.dockerfile'), eb.ref('builds.dockerfile')),
      image_updated_at: eb.ref('excluded.image_updated_at'),
    };
  });
}

interface IssueLinkTarget {
  buildId: string;
  imageId: string;
  at: string;
}

async function linkIssues(
  trx: Trx,
  { buildId, imageId, at }: IssueLinkTarget,
  list: readonly IssueFacts[],
): Promise<void> {
  // Sorted by key for the same lock-order reason as pull requests.
  const issues = [...new Map(list.map((i) => [i.key, i])).values()].sort((a, b) =>
    a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
  );
  if (issues.length === 0) return;
  await trx
    .insertInto('issues')
    .values(
      issues.map((i) => ({
        key: i.key,
        title: i.title,
        status: i.status,
        status_category: i.statusCategory ?? null,
        assignee: i.assignee ?? null,
        url: i.url,
        updated_at: at,
      })),
    )
    .onConflict((oc) =>
      oc.column('key').doUpdateSet((eb) => ({
        title: eb.ref('excluded.title'),
        status: eb.ref('excluded.status'),
        status_category: eb.ref('excluded.status_category'),
        assignee: eb.ref('excluded.assignee'),
        url: eb.ref('excluded.url'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
  await trx
    .insertInto('build_issues')
    .values(
      issues.map((i) => ({ build_id: buildId, issue_key: i.key, image_id: imageId, image_updated_at: at })),
    )
    .onConflict((oc) => oc.columns(['build_id', 'issue_key']).doNothing())
    .execute();
}
