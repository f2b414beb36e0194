import type { Kysely, Selectable, Transaction } from 'kysely';
import type {
  GitFacts,
  ImageDetail,
  ImageListQuery,
  ImageSummary,
  IssueFacts,
  Layer,
  Platform,
  PlatformConfig,
  PullRequest,
  Referrer,
  ScanSummary,
} from '../enrichment/model.js';
import {
  buildKey,
  encodeCursor,
  normalizeListQuery,
  prefixEnd,
  type EnrichmentRecord,
  type ImagePage,
  type ImageStore,
  type RecordResult,
} from './image-store.js';
import type { Database, ImagesTable } from './schema.js';
import { createSortableIdGenerator } from './sortable-id.js';
import { addTags, replacePlatformsAndReferrers } from './sql-image-children.js';
import { deployedImageIds } from './sql-deployment-images.js';
import { compact, gitOf, group, parseJson, type BuildRow, type CommitJoin } from './sql-image-rows.js';

export interface SqlImageStoreDeps {
  db: Kysely<Database>;
  /** Injected so tests control timestamps. */
  now?: () => Date;
}

type ImageRow = Selectable<ImagesTable>;

export class SqlImageStore implements ImageStore {
  private readonly db: Kysely<Database>;
  private readonly now: () => Date;
  private readonly nextImageId = createSortableIdGenerator('img_');
  private readonly nextBuildId = createSortableIdGenerator('bld_');

  constructor(deps: SqlImageStoreDeps) {
    this.db = deps.db;
    this.now = deps.now ?? (() => new Date());
  }

  recordEnrichment(record: EnrichmentRecord): Promise<RecordResult> {
    const now = this.now();
    // The image upsert is the first statement: on SQLite the transaction then takes the write lock before
    // it reads anything, so a concurrent writer in another process waits (busy_timeout) instead of failing.
    return this.db.transaction().execute((trx) => this.record(trx, record, now));
  }

  private async record(trx: Transaction<Database>, r: EnrichmentRecord, now: Date): Promise<RecordResult> {
    const at = now.toISOString();
    const { image, build } = r;
    const newImageId = this.nextImageId(now);
    const { id: imageId } = await trx
      .insertInto('images')
      .values({
        id: newImageId,
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
      })
      // Registry facts are replaced by the newest enrichment; first_seen_at and the id stay.
      .onConflict((oc) =>
        oc.columns(['registry', 'repository', 'digest']).doUpdateSet((eb) => ({
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
        })),
      )
      .returning('id')
      .executeTakeFirstOrThrow();
    const created = imageId === newImageId;

    await addTags(trx, imageId, image.tags, at);
    await replacePlatformsAndReferrers(trx, imageId, image, !created);

    const git = r.git;
    const sha = git?.sha?.toLowerCase();
    const repo = git?.repo ?? '';
    if (sha) {
      await trx
        .insertInto('commits')
        .values({
          repo,
          sha,
          provider: git?.provider ?? null,
          message: git?.message ?? null,
          author: git?.author ? JSON.stringify(git.author) : null,
          committer: git?.committer ? JSON.stringify(git.committer) : null,
          time: git?.time ?? null,
          url: git?.url ?? null,
          parents: git?.parents ? JSON.stringify(git.parents) : null,
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

      // Sorted, so concurrent recordings lock shared rows in one order and cannot deadlock on PostgreSQL.
      const prs = [...new Map((r.pullRequests ?? []).map((p) => [p.number, p])).values()].sort(
        (a, b) => a.number - b.number,
      );
      if (prs.length > 0) {
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
    }

    const newBuildId = this.nextBuildId(now);
    const { id: buildId } = await trx
      .insertInto('builds')
      .values({
        id: newBuildId,
        image_id: imageId,
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
      })
      // The same build reported again: remember the latest report of it (never move back in time).
      .onConflict((oc) =>
        oc.columns(['image_id', 'build_key']).doUpdateSet((eb) => ({
          report_id: eb
            .case()
            .when(eb.ref('excluded.reported_at'), '>=', eb.ref('builds.reported_at'))
            .then(eb.ref('excluded.report_id'))
            .else(eb.ref('builds.report_id'))
            .end(),
          reported_at: eb
            .case()
            .when(eb.ref('excluded.reported_at'), '>=', eb.ref('builds.reported_at'))
            .then(eb.ref('excluded.reported_at'))
            .else(eb.ref('builds.reported_at'))
            .end(),
          ci_type: eb.fn.coalesce(eb.ref('excluded.ci_type'), eb.ref('builds.ci_type')),
          dockerfile: eb.fn.coalesce(eb.ref('excluded.dockerfile'), eb.ref('builds.dockerfile')),
        })),
      )
      .returning('id')
      .executeTakeFirstOrThrow();

    const issues = [...new Map((r.issues ?? []).map((i) => [i.key, i])).values()].sort((a, b) =>
      a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
    );
    if (issues.length > 0) {
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
        .values(issues.map((i) => ({ build_id: buildId, issue_key: i.key })))
        .onConflict((oc) => oc.columns(['build_id', 'issue_key']).doNothing())
        .execute();
    }

    return { imageId, buildId, created, buildCreated: buildId === newBuildId };
  }

  async list(query: ImageListQuery): Promise<ImagePage> {
    const q = normalizeListQuery(query);
    const rows = await this.db
      .selectFrom('images')
      .selectAll()
      .$if(q.registry !== undefined, (qb) => qb.where('registry', '=', q.registry ?? ''))
      .$if(q.repository !== undefined, (qb) => qb.where('repository', '=', q.repository ?? ''))
      .$if(q.repositoryPrefix !== undefined, (qb) =>
        qb
          .where('repository', '>=', q.repositoryPrefix ?? '')
          .where('repository', '<', prefixEnd(q.repositoryPrefix ?? '')),
      )
      .$if(q.digest !== undefined, (qb) => qb.where('digest', '=', q.digest ?? ''))
      .$if(q.deployment !== undefined, (qb) => {
        const f = q.deployment ?? {};
        return qb.where('id', f.deployed === false ? 'not in' : 'in', (eb) => deployedImageIds(eb, f));
      })
      .$if(q.tag !== undefined, (qb) =>
        qb.where('id', 'in', (eb) =>
          eb
            .selectFrom('image_tags')
            .select('image_id')
            .where('tag', '=', q.tag ?? ''),
        ),
      )
      .$if(q.branch !== undefined, (qb) =>
        qb.where('id', 'in', (eb) =>
          eb
            .selectFrom('builds')
            .select('image_id')
            .where('git_branch', '=', q.branch ?? ''),
        ),
      )
      .$if(q.commitPrefix !== undefined, (qb) =>
        qb.where('id', 'in', (eb) =>
          eb
            .selectFrom('builds')
            .select('image_id')
            .where('git_sha', '>=', q.commitPrefix ?? '')
            .where('git_sha', '<', prefixEnd(q.commitPrefix ?? '')),
        ),
      )
      .$if(q.issue !== undefined, (qb) =>
        qb.where('id', 'in', (eb) =>
          eb
            .selectFrom('build_issues')
            .innerJoin('builds', 'builds.id', 'build_issues.build_id')
            .select('builds.image_id')
            .where('build_issues.issue_key', '=', q.issue ?? ''),
        ),
      )
      // Keyset: `(updated_at, id) < cursor`, written so the first term is a plain range on the index.
      .$if(q.cursor !== undefined, (qb) => {
        const c = q.cursor ?? { updatedAt: '', id: '' };
        return qb
          .where('updated_at', '<=', c.updatedAt)
          .where((eb) => eb.or([eb('updated_at', '<', c.updatedAt), eb('id', '<', c.id)]));
      })
      .orderBy('updated_at', 'desc')
      .orderBy('id', 'desc')
      .limit(q.limit + 1)
      .execute();

    const page = rows.slice(0, q.limit);
    const items = await this.summaries(page);
    const last = page.at(-1);
    return rows.length > q.limit && last
      ? { items, nextCursor: encodeCursor({ updatedAt: last.updated_at, id: last.id }) }
      : { items };
  }

  /** The children of a whole page in four queries, whatever the page size. */
  private async summaries(rows: ImageRow[]): Promise<ImageSummary[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const [tags, platforms, builds, gitBuilds, issues] = await Promise.all([
      this.db
        .selectFrom('image_tags')
        .select(['image_id', 'tag'])
        .where('image_id', 'in', ids)
        .orderBy('first_seen_at')
        .orderBy('tag')
        .execute(),
      this.db
        .selectFrom('image_platforms')
        .select(['image_id', 'os', 'architecture', 'variant'])
        .where('image_id', 'in', ids)
        .orderBy('image_id')
        .orderBy('position')
        .execute(),
      this.latestBuilds(ids),
      this.latestBuilds(ids, true),
      this.db
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
      const b = buildOf.get(r.id);
      if (b) {
        s.latestBuild = compact({
          workflowName: b.workflow_name,
          workflowUrl: b.workflow_url,
          reportedAt: b.reported_at,
        }) as NonNullable<ImageSummary['latestBuild']>;
      }
      const g = gitBuildOf.get(r.id);
      if (g) {
        const git = compact({ repo: g.git_repo, branch: g.git_branch, sha: g.git_sha, message: g.c_message });
        if (Object.keys(git).length > 0) s.git = git;
      }
      return s;
    });
  }

  /**
   * The newest build of each image, with its commit message: one query with a window function. `withGit`:
   * the newest build that had Git facts, so a later report without them does not blank the image's commit.
   */
  private latestBuilds(ids: string[], withGit = false): Promise<Array<BuildRow & CommitJoin>> {
    const ranked = this.db
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
    return this.db
      .selectFrom(ranked.as('b'))
      .leftJoin('commits as c', (join) =>
        join
          .onRef('c.sha', '=', 'b.git_sha')
          .on((eb) => eb('c.repo', '=', eb.fn.coalesce('b.git_repo', eb.val('')))),
      )
      .selectAll('b')
      .select([
        'c.message as c_message',
        'c.author as c_author',
        'c.committer as c_committer',
        'c.time as c_time',
        'c.url as c_url',
        'c.parents as c_parents',
      ])
      .where('b.rn', '=', 1)
      .execute();
  }

  async get(id: string): Promise<ImageDetail | null> {
    const row = await this.db.selectFrom('images').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return null;
    const [summary] = await this.summaries([row]);
    if (!summary) return null;

    const [platforms, referrers, builds, issues] = await Promise.all([
      this.db
        .selectFrom('image_platforms')
        .selectAll()
        .where('image_id', '=', id)
        .orderBy('position')
        .execute(),
      this.db
        .selectFrom('image_referrers')
        .selectAll()
        .where('image_id', '=', id)
        .orderBy('digest')
        .execute(),
      this.db
        .selectFrom('builds as b')
        .leftJoin('commits as c', (join) =>
          join
            .onRef('c.sha', '=', 'b.git_sha')
            .on((eb) => eb('c.repo', '=', eb.fn.coalesce('b.git_repo', eb.val('')))),
        )
        .selectAll('b')
        .select([
          'c.message as c_message',
          'c.author as c_author',
          'c.committer as c_committer',
          'c.time as c_time',
          'c.url as c_url',
          'c.parents as c_parents',
        ])
        .where('b.image_id', '=', id)
        .orderBy('b.reported_at', 'desc')
        .orderBy('b.id', 'desc')
        .execute(),
      this.db
        .selectFrom('issues')
        .selectAll('issues')
        .where('key', 'in', (eb) =>
          eb
            .selectFrom('build_issues')
            .innerJoin('builds', 'builds.id', 'build_issues.build_id')
            .select('build_issues.issue_key')
            .where('builds.image_id', '=', id),
        )
        .orderBy('key')
        .execute(),
    ]);

    // Distinct commits of the builds, newest build first, with their pull requests (one query).
    const commitKeys = new Map<string, { repo: string; sha: string; git: GitFacts }>();
    for (const b of builds) {
      if (b.git_sha === null) continue;
      const repo = b.git_repo ?? '';
      const k = `${repo}\0${b.git_sha}`;
      if (!commitKeys.has(k)) commitKeys.set(k, { repo, sha: b.git_sha, git: gitOf(b, false) });
    }
    const shas = [...new Set([...commitKeys.values()].map((c) => c.sha))];
    const prRows =
      shas.length === 0
        ? []
        : await this.db
            .selectFrom('commit_pull_requests as l')
            .innerJoin('pull_requests as p', (join) =>
              join.onRef('p.repo', '=', 'l.repo').onRef('p.number', '=', 'l.number'),
            )
            .select(['l.sha', 'p.repo', 'p.number', 'p.title', 'p.url', 'p.state', 'p.author', 'p.merged_at'])
            .where('l.sha', 'in', shas)
            .orderBy('p.number')
            .execute();

    const detail: ImageDetail = {
      ...summary,
      registryType: row.registry_type,
      platformsDetail: platforms.map((p) => {
        const out: Platform = {
          os: p.os,
          architecture: p.architecture,
          digest: p.digest,
          size: Number(p.size),
          mediaType: p.media_type,
        };
        if (p.variant !== null) out.variant = p.variant;
        if (p.config !== null) out.config = parseJson<PlatformConfig>(p.config, {});
        return out;
      }),
      layers: parseJson<Layer[]>(row.layers, []),
      labels: parseJson<Record<string, string>>(row.labels, {}),
      annotations: parseJson<Record<string, string>>(row.annotations, {}),
      referrers: referrers.map((x) => {
        const out: Referrer = { digest: x.digest, kind: x.kind, mediaType: x.media_type };
        if (x.artifact_type !== null) out.artifactType = x.artifact_type;
        if (x.tag !== null) out.tag = x.tag;
        return out;
      }),
      builds: builds.map((b) => {
        const out: ImageDetail['builds'][number] = {
          id: b.id,
          runtime: b.runtime,
          reportId: b.report_id,
          reportedAt: b.reported_at,
          ...compact({
            workflowName: b.workflow_name,
            workflowUrl: b.workflow_url,
            logsUrl: b.logs_url,
            ciType: b.ci_type,
            dockerfile: b.dockerfile,
          }),
        };
        const git = gitOf(b, true);
        if (Object.keys(git).length > 0) out.git = git;
        return out;
      }),
      commits: [...commitKeys.values()].map((c) => ({
        ...c.git,
        pullRequests: prRows
          .filter((p) => p.sha === c.sha && p.repo === c.repo)
          .map((p) => {
            const pr: PullRequest = { number: p.number, title: p.title, url: p.url, state: p.state };
            if (p.author !== null) pr.author = p.author;
            if (p.merged_at !== null) pr.mergedAt = p.merged_at;
            return pr;
          }),
      })),
      issueDetails: issues.map((i) => {
        const out: IssueFacts = { key: i.key, title: i.title, status: i.status, url: i.url };
        if (i.status_category !== null) out.statusCategory = i.status_category;
        if (i.assignee !== null) out.assignee = i.assignee;
        return out;
      }),
    };
    if (row.registry_size !== null) detail.registrySize = Number(row.registry_size);
    if (row.config !== null)
      detail.config = parseJson<NonNullable<ImageDetail['config']>>(row.config, { historyCount: 0 });
    if (row.scan !== null) detail.scan = parseJson<ScanSummary>(row.scan, { severityCounts: {} });
    return detail;
  }

  async findByDigest(registry: string, repository: string, digest: string): Promise<string | null> {
    const row = await this.db
      .selectFrom('images')
      .select('id')
      .where('registry', '=', registry)
      .where('repository', '=', repository)
      .where('digest', '=', digest)
      .executeTakeFirst();
    return row?.id ?? null;
  }
}
