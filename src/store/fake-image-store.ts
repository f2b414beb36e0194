import type {
  BuildFacts,
  EnrichedImage,
  GitFacts,
  ImageDetail,
  ImageListQuery,
  ImageSummary,
  IssueFacts,
  PullRequest,
} from '../contract/images.js';
import {
  buildKey,
  encodeCursor,
  normalizeListQuery,
  type EnrichmentRecord,
  type ImagePage,
  type ImageStore,
  type RecordResult,
} from './image-store.js';
import type { DeploymentListFilter, RunningDigest } from './deployment-store.js';
import { createSortableIdGenerator } from './sortable-id.js';
import { uniqueBy } from './sql-image-children.js';

interface FakeImage {
  id: string;
  facts: EnrichedImage;
  tags: Map<string, string>;
  firstSeenAt: string;
  updatedAt: string;
}

interface FakeBuild {
  id: string;
  imageId: string;
  key: string;
  facts: BuildFacts;
  git?: GitFacts;
  issueKeys: Set<string>;
}

/** Where a digest runs now, as the fake's deployment filters need it (an open interval). */
export interface RunningPlace extends RunningDigest {
  runtime: string;
  namespace: string;
  workloadKind: string;
  workloadName: string;
  application: string;
}

/**
 * In-memory twin of SqlImageStore for unit tests of the runner, routes and dashboard API: the same
 * identity rules (registry + repository + digest; build key), filters, order and cursors.
 */
export class FakeImageStore implements ImageStore {
  private readonly images = new Map<string, FakeImage>();
  private readonly builds = new Map<string, FakeBuild>();
  private readonly commits = new Map<string, GitFacts & { prs: Map<number, PullRequest> }>();
  private readonly issues = new Map<string, IssueFacts>();
  private readonly now: () => Date;
  private readonly nextImageId = createSortableIdGenerator('img_');
  private readonly nextBuildId = createSortableIdGenerator('bld_');

  private readonly running: () => Iterable<RunningPlace>;

  /** `running`: the open deployment intervals (the SQL store reads them from its own tables). */
  constructor(deps: { now?: () => Date; running?: () => Iterable<RunningPlace> } = {}) {
    this.now = deps.now ?? (() => new Date());
    this.running = deps.running ?? (() => []);
  }

  recordEnrichment(r: EnrichmentRecord): Promise<RecordResult> {
    const now = this.now();
    const at = now.toISOString();
    const { image, build, git } = r;
    let img = [...this.images.values()].find(
      (i) =>
        i.facts.registry === image.registry &&
        i.facts.repository === image.repository &&
        i.facts.digest === image.digest,
    );
    const created = !img;
    if (!img) {
      img = { id: this.nextImageId(now), facts: image, tags: new Map(), firstSeenAt: at, updatedAt: at };
      this.images.set(img.id, img);
    }
    img.facts = structuredClone(image);
    img.facts.platforms = uniqueBy(img.facts.platforms, (p) => p.digest);
    img.updatedAt = at;
    for (const tag of [...new Set(image.tags)].sort()) if (!img.tags.has(tag)) img.tags.set(tag, at);

    const sha = git?.sha?.toLowerCase();
    const repo = git?.repo ?? '';
    if (sha) {
      const k = `${repo}\0${sha}`;
      const prev = this.commits.get(k);
      const merged = {
        ...(prev ?? {}),
        ...definedOnly({ ...git, sha, branch: undefined }),
        prs: prev?.prs ?? new Map(),
      };
      for (const p of r.pullRequests ?? []) merged.prs.set(p.number, structuredClone(p));
      this.commits.set(k, merged);
    }

    const key = buildKey(build, git);
    let b = [...this.builds.values()].find((x) => x.imageId === img.id && x.key === key);
    const buildCreated = !b;
    if (!b) {
      b = {
        id: this.nextBuildId(now),
        imageId: img.id,
        key,
        facts: structuredClone(build),
        issueKeys: new Set(),
      };
      if (git) b.git = { ...structuredClone(git), ...(sha ? { sha } : {}) };
      this.builds.set(b.id, b);
    } else if (build.reportedAt >= b.facts.reportedAt) {
      b.facts = { ...b.facts, reportId: build.reportId, reportedAt: build.reportedAt };
    }
    for (const i of r.issues ?? []) {
      this.issues.set(i.key, structuredClone(i));
      b.issueKeys.add(i.key);
    }
    return Promise.resolve({ imageId: img.id, buildId: b.id, created, buildCreated });
  }

  list(query: ImageListQuery): Promise<ImagePage> {
    return new Promise((resolve) => {
      const q = normalizeListQuery(query);
      const matches = [...this.images.values()]
        .filter((i) => {
          const f = i.facts;
          const builds = this.buildsOf(i.id);
          if (q.registry !== undefined && f.registry !== q.registry) return false;
          if (q.repository !== undefined && f.repository !== q.repository) return false;
          if (q.repositoryPrefix !== undefined && !f.repository.startsWith(q.repositoryPrefix)) return false;
          if (q.digest !== undefined && f.digest !== q.digest) return false;
          if (q.tag !== undefined && !i.tags.has(q.tag)) return false;
          if (q.branch !== undefined && !builds.some((b) => b.git?.branch === q.branch)) return false;
          const prefix = q.commitPrefix;
          if (prefix !== undefined && !builds.some((b) => b.git?.sha?.startsWith(prefix))) return false;
          if (q.issue !== undefined && !builds.some((b) => b.issueKeys.has(q.issue ?? ''))) return false;
          if (q.deployment && this.runsNow(f, q.deployment) !== (q.deployment.deployed !== false))
            return false;
          const c = q.cursor;
          if (c && !(i.updatedAt < c.updatedAt || (i.updatedAt === c.updatedAt && i.id < c.id))) return false;
          return true;
        })
        .sort((a, b) => cmp(b.updatedAt, a.updatedAt) || cmp(b.id, a.id));
      const page = matches.slice(0, q.limit);
      const items = page.map((i) => ({ ...this.summary(i), deployedIn: this.deployedIn(i.facts) }));
      const last = page.at(-1);
      resolve(
        matches.length > q.limit && last
          ? { items, nextCursor: encodeCursor({ updatedAt: last.updatedAt, id: last.id }) }
          : { items },
      );
    });
  }

  /** Its own digest or a platform's runs now, in the same registry/repository, within the filter. */
  private runsNow(f: EnrichedImage, d: DeploymentListFilter): boolean {
    return this.placesOf(f).some(
      (o) =>
        (d.runtime === undefined || o.runtime === d.runtime) &&
        (d.application === undefined || o.application === d.application) &&
        (d.namespace === undefined || o.namespace === d.namespace),
    );
  }

  /** The list's "deployed in N": distinct places running its own digest or a platform's. */
  private deployedIn(f: EnrichedImage): number {
    const key = (o: RunningPlace) =>
      JSON.stringify([o.runtime, o.namespace, o.workloadKind, o.workloadName, o.application]);
    return new Set(this.placesOf(f).map(key)).size;
  }

  private placesOf(f: EnrichedImage): RunningPlace[] {
    const digests = new Set([f.digest, ...f.platforms.map((p) => p.digest)]);
    return [...this.running()].filter(
      (o) => o.registry === f.registry && o.repository === f.repository && digests.has(o.digest),
    );
  }

  get(id: string): Promise<ImageDetail | null> {
    const i = this.images.get(id);
    if (!i) return Promise.resolve(null);
    const f = i.facts;
    const builds = this.buildsOf(id);
    const commits = new Map<string, GitFacts & { pullRequests: PullRequest[] }>();
    for (const b of builds) {
      const sha = b.git?.sha;
      if (!sha) continue;
      const k = `${b.git?.repo ?? ''}\0${sha}`;
      const c = this.commits.get(k);
      if (!c || commits.has(k)) continue;
      const { prs, ...facts } = c;
      commits.set(k, { ...facts, pullRequests: [...prs.values()].sort((x, y) => x.number - y.number) });
    }
    const issueKeys = new Set(builds.flatMap((b) => [...b.issueKeys]));
    const detail: ImageDetail = {
      ...this.summary(i),
      registryType: f.registryType,
      platformsDetail: structuredClone(f.platforms),
      layers: structuredClone(f.layers),
      labels: { ...f.labels },
      annotations: { ...f.annotations },
      referrers: [...new Map(f.referrers.map((x) => [x.digest, x])).values()].sort((a, b) =>
        cmp(a.digest, b.digest),
      ),
      builds: builds.map((b) => {
        const git = this.gitOf(b, true);
        return { id: b.id, ...structuredClone(b.facts), ...(git ? { git } : {}) };
      }),
      commits: [...commits.values()],
      issueDetails: [...issueKeys]
        .sort()
        .map((k) => this.issues.get(k))
        .filter((x): x is IssueFacts => x !== undefined),
    };
    if (f.registrySize !== undefined) detail.registrySize = f.registrySize;
    if (f.config) detail.config = { ...f.config };
    if (f.scan) detail.scan = structuredClone(f.scan);
    return Promise.resolve(detail);
  }

  findByDigest(registry: string, repository: string, digest: string): Promise<string | null> {
    for (const i of this.images.values()) {
      if (i.facts.registry === registry && i.facts.repository === repository && i.facts.digest === digest)
        return Promise.resolve(i.id);
    }
    return Promise.resolve(null);
  }

  /** Newest report first, as the SQL store orders them. */
  private buildsOf(imageId: string): FakeBuild[] {
    return [...this.builds.values()]
      .filter((b) => b.imageId === imageId)
      .sort((a, b) => cmp(b.facts.reportedAt, a.facts.reportedAt) || cmp(b.id, a.id));
  }

  private gitOf(b: FakeBuild, withBranch: boolean): GitFacts | undefined {
    if (!b.git) return undefined;
    const sha = b.git.sha;
    const commit = sha ? this.commits.get(`${b.git.repo ?? ''}\0${sha}`) : undefined;
    const out: GitFacts = definedOnly({
      provider: b.git.provider,
      repo: b.git.repo,
      branch: withBranch ? b.git.branch : undefined,
      sha,
      message: commit?.message,
      author: commit?.author,
      committer: commit?.committer,
      time: commit?.time,
      url: commit?.url,
      parents: commit?.parents,
    });
    return Object.keys(out).length > 0 ? out : undefined;
  }

  private summary(i: FakeImage): ImageSummary {
    const f = i.facts;
    const latest = this.buildsOf(i.id)[0];
    const s: ImageSummary = {
      id: i.id,
      registry: f.registry,
      repository: f.repository,
      digest: f.digest,
      mediaType: f.mediaType,
      tags: [...i.tags.entries()].sort((a, b) => cmp(a[1], b[1]) || cmp(a[0], b[0])).map(([t]) => t),
      size: f.size,
      platforms: f.platforms.map((p) =>
        definedOnly({ os: p.os, architecture: p.architecture, variant: p.variant }),
      ),
      issues: [...new Set(this.buildsOf(i.id).flatMap((b) => [...b.issueKeys]))].sort(),
      updatedAt: i.updatedAt,
    };
    if (f.createdAt !== undefined) s.createdAt = f.createdAt;
    if (f.pushedAt !== undefined) s.pushedAt = f.pushedAt;
    if (latest) {
      s.latestBuild = definedOnly({
        workflowName: latest.facts.workflowName,
        workflowUrl: latest.facts.workflowUrl,
        reportedAt: latest.facts.reportedAt,
      });
    }
    // The newest build that had Git facts: a later report without them does not blank the commit.
    const withGit = this.buildsOf(i.id).find((b) => b.git?.sha !== undefined || b.git?.branch !== undefined);
    const g = withGit ? this.gitOf(withGit, true) : undefined;
    if (g) {
      const git = definedOnly({ repo: g.repo, branch: g.branch, sha: g.sha, message: g.message });
      if (Object.keys(git).length > 0) s.git = git;
    }
    return s;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Drops undefined fields, as the SQL store returns absent (not undefined) optional fields. */
function definedOnly<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
