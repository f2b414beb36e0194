import type { Kysely, Selectable } from 'kysely';
import type {
  GitFacts,
  ImageDetail,
  ImageSummary,
  IssueFacts,
  Layer,
  Platform,
  PlatformConfig,
  PullRequest,
  Referrer,
  ScanSummary,
} from '../contract/images.js';
import type { DialectName } from './database.js';
import type { Database, ImagePlatformsTable, ImageReferrersTable, IssuesTable } from './schema.js';
import { compact, gitOf, parseJson, type BuildRow, type CommitJoin } from './sql-image-rows.js';
import { COMMIT_COLUMNS, summaries, type ImageRow } from './sql-image-summaries.js';

/** One image with everything known about it: the detail page and `imagetrail images show`. */

type Db = Kysely<Database>;
type BuildWithCommit = BuildRow & CommitJoin;
interface CommitOfBuilds {
  repo: string;
  sha: string;
  git: GitFacts;
}
interface PullRequestRow {
  sha: string;
  repo: string;
  number: number;
  title: string;
  url: string;
  state: string;
  author: string | null;
  merged_at: string | null;
}

export async function imageDetail(db: Db, dialect: DialectName, id: string): Promise<ImageDetail | null> {
  const [found] = await summaries(db, dialect, db.selectFrom('images').selectAll().where('id', '=', id));
  if (!found) return null;
  const { row, summary } = found;

  const [platforms, referrers, builds, issues] = await Promise.all([
    db.selectFrom('image_platforms').selectAll().where('image_id', '=', id).orderBy('position').execute(),
    db.selectFrom('image_referrers').selectAll().where('image_id', '=', id).orderBy('digest').execute(),
    buildsWithCommits(db, id),
    issuesOf(db, id),
  ]);
  const commits = commitsOf(builds);
  const prRows = await pullRequestsOf(db, commits);
  return toDetail(summary, row, {
    platforms,
    referrers,
    builds,
    issues,
    commits: commits.map((c) => ({ ...c.git, pullRequests: pullRequestsFor(c, prRows) })),
  });
}

function buildsWithCommits(db: Db, id: string): Promise<BuildWithCommit[]> {
  return db
    .selectFrom('builds as b')
    .leftJoin('commits as c', (join) =>
      join
        .onRef('c.sha', '=', 'b.git_sha')
        .on((eb) => eb('c.repo', '=', eb.fn.coalesce('b.git_repo', eb.val('')))),
    )
    .selectAll('b')
    .select(COMMIT_COLUMNS)
    .where('b.image_id', '=', id)
    .orderBy('b.reported_at', 'desc')
    .orderBy('b.id', 'desc')
    .execute();
}

function issuesOf(db: Db, id: string): Promise<Array<Selectable<IssuesTable>>> {
  return db
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
    .execute();
}

/** Distinct commits of the builds, newest build first. */
function commitsOf(builds: readonly BuildWithCommit[]): CommitOfBuilds[] {
  const commitKeys = new Map<string, CommitOfBuilds>();
  for (const b of builds) {
    if (b.git_sha === null) continue;
    const repo = b.git_repo ?? '';
    const k = `${repo}\0${b.git_sha}`;
    if (!commitKeys.has(k)) commitKeys.set(k, { repo, sha: b.git_sha, git: gitOf(b, false) });
  }
  return [...commitKeys.values()];
}

/** The pull requests of all those commits, in one query. */
async function pullRequestsOf(db: Db, commits: readonly CommitOfBuilds[]): Promise<PullRequestRow[]> {
  const shas = [...new Set(commits.map((c) => c.sha))];
  if (shas.length === 0) return [];
  return db
    .selectFrom('commit_pull_requests as l')
    .innerJoin('pull_requests as p', (join) =>
      join.onRef('p.repo', '=', 'l.repo').onRef('p.number', '=', 'l.number'),
    )
    .select(['l.sha', 'p.repo', 'p.number', 'p.title', 'p.url', 'p.state', 'p.author', 'p.merged_at'])
    .where('l.sha', 'in', shas)
    .orderBy('p.number')
    .execute();
}

function pullRequestsFor(c: CommitOfBuilds, rows: readonly PullRequestRow[]): PullRequest[] {
  return rows
    .filter((p) => p.sha === c.sha && p.repo === c.repo)
    .map((p) => {
      const pr: PullRequest = { number: p.number, title: p.title, url: p.url, state: p.state };
      if (p.author !== null) pr.author = p.author;
      if (p.merged_at !== null) pr.mergedAt = p.merged_at;
      return pr;
    });
}

interface DetailParts {
  platforms: Array<Selectable<ImagePlatformsTable>>;
  referrers: Array<Selectable<ImageReferrersTable>>;
  builds: BuildWithCommit[];
  issues: Array<Selectable<IssuesTable>>;
  commits: ImageDetail['commits'];
}

function toDetail(summary: ImageSummary, row: ImageRow, parts: DetailParts): ImageDetail {
  const detail: ImageDetail = {
    ...summary,
    registryType: row.registry_type,
    platformsDetail: parts.platforms.map(toPlatform),
    layers: parseJson<Layer[]>(row.layers, []),
    labels: parseJson<Record<string, string>>(row.labels, {}),
    annotations: parseJson<Record<string, string>>(row.annotations, {}),
    referrers: parts.referrers.map((x) => {
      const out: Referrer = { digest: x.digest, kind: x.kind, mediaType: x.media_type };
      if (x.artifact_type !== null) out.artifactType = x.artifact_type;
      if (x.tag !== null) out.tag = x.tag;
      return out;
    }),
    builds: parts.builds.map(toBuild),
    commits: parts.commits,
    issueDetails: parts.issues.map((i) => {
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

function toPlatform(p: Selectable<ImagePlatformsTable>): Platform {
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
}

function toBuild(b: BuildWithCommit): ImageDetail['builds'][number] {
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
}
