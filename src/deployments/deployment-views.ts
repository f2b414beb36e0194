import type {
  ApplicationSummary,
  ApplicationView,
  DeploymentInterval,
  LeadTime,
  LeadTimeReport,
  RunningImage,
} from '../contract/deployments.js';
import type { ImageDetail } from '../contract/images.js';
import { runningKey, type DeploymentStore, type RunningDigest } from '../store/deployment-store.js';
import type { ImageStore } from '../store/image-store.js';

/** Read models over intervals joined with image records (tags, builds, commits, pull requests, Jira). */

export interface Views {
  store: Pick<DeploymentStore, 'imageIdOf' | 'runningLookups'>;
  images: Pick<ImageStore, 'get'>;
}

/** What the open intervals run, looked up for the request: per distinct digest, in one batch. */
interface RunningFacts {
  image: (d: RunningDigest) => ImageDetail | null;
  discovered: (d: RunningDigest) => boolean;
}

async function runningFacts(v: Views, open: readonly DeploymentInterval[]): Promise<RunningFacts> {
  const found = await v.store.runningLookups(open);
  const details = new Map<string, ImageDetail | null>();
  // One detail per distinct image (many digests can be platforms of one index).
  for (const id of new Set(found.imageIds.values())) details.set(id, await v.images.get(id));
  return {
    image: (d) => details.get(found.imageIds.get(runningKey(d)) ?? '') ?? null,
    discovered: (d) => found.discovered.has(runningKey(d)),
  };
}

/** Memoized image lookups for one request: many intervals share one digest. */
function imageLookup(v: Views) {
  const cache = new Map<string, Promise<ImageDetail | null>>();
  return (d: RunningDigest): Promise<ImageDetail | null> => {
    const key = `${d.registry}/${d.repository}@${d.digest}`;
    let p = cache.get(key);
    if (!p) {
      p = v.store.imageIdOf(d).then((id) => (id ? v.images.get(id) : null));
      cache.set(key, p);
    }
    return p;
  };
}

function byApplication(open: readonly DeploymentInterval[]): Map<string, DeploymentInterval[]> {
  const byApp = new Map<string, DeploymentInterval[]>();
  for (const i of open) {
    // A workload without an application is its own row, named after it.
    const name = i.application || `${i.namespace}/${i.workloadKind}/${i.workloadName}`;
    byApp.set(name, [...(byApp.get(name) ?? []), i]);
  }
  return byApp;
}

export function summarizeApplications(open: readonly DeploymentInterval[]): ApplicationSummary[] {
  return [...byApplication(open).entries()]
    .map(([application, list]) => summary(application, list))
    .sort((a, b) => a.application.localeCompare(b.application));
}

/**
 * The summaries with what each runs now (tags, build, commit, pull requests, Jira): the Applications page in
 * one request, image lookups shared across applications.
 */
export async function summarizeWithRunning(
  v: Views,
  open: readonly DeploymentInterval[],
): Promise<ApplicationSummary[]> {
  const facts = await runningFacts(v, open);
  const out: ApplicationSummary[] = [];
  for (const [application, list] of byApplication(open)) {
    const running = list.map((i) => runningImage(facts, i));
    out.push({ ...summary(application, list), running });
  }
  return out.sort((a, b) => a.application.localeCompare(b.application));
}

function summary(application: string, list: readonly DeploymentInterval[]): ApplicationSummary {
  const open = list.filter((i) => i.endedAt === undefined);
  const changes = list.flatMap((i) => [i.firstSeenAt, ...(i.endedAt ? [i.endedAt] : [])]);
  const out: ApplicationSummary = {
    application,
    runtimes: [...new Set(list.map((i) => i.runtime))].sort(),
    namespaces: [...new Set(list.map((i) => i.namespace))].sort(),
    runningDigests: new Set(open.map((i) => i.digest)).size,
    replicas: open.reduce((n, i) => n + i.replicas, 0),
    lastChangeAt: changes.sort().at(-1) ?? '',
  };
  const app = open.find((i) => i.app)?.app ?? list.find((i) => i.app)?.app;
  if (app) out.app = app;
  return out;
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** The commit an image was built from, with its time (the newest build that has one). */
function commitOf(image: ImageDetail): { sha?: string; time: string } | undefined {
  for (const b of image.builds) {
    const time = b.git?.time ?? image.commits.find((c) => c.sha === b.git?.sha)?.time;
    if (time) return { ...(b.git?.sha ? { sha: b.git.sha } : {}), time };
  }
  const c = image.commits.find((x) => x.time);
  return c?.time ? { ...(c.sha ? { sha: c.sha } : {}), time: c.time } : undefined;
}

/** A period of first-running times; `until` absent means up to now. */
export interface Period {
  since?: string;
  until?: string;
  now: Date;
}

/**
 * Lead time for changes: commit time → first running, per (application, digest), counted in the period by
 * its first running time; deployment frequency: distinct digests first running in the period, per app.
 */
export async function leadTimes(
  v: Views,
  intervals: readonly DeploymentInterval[],
  q: Period,
): Promise<LeadTimeReport> {
  const first = new Map<string, DeploymentInterval>();
  for (const i of intervals) {
    const k = JSON.stringify([i.application, i.registry, i.repository, i.digest]);
    const seen = first.get(k);
    if (!seen || i.firstSeenAt < seen.firstSeenAt) first.set(k, i);
  }
  // Compared as instants: stored times and query bounds may differ in offset and precision.
  const since = q.since ? Date.parse(q.since) : -Infinity;
  const until = q.until ? Date.parse(q.until) : Infinity;
  const inPeriod = [...first.values()].filter((i) => {
    const t = Date.parse(i.firstSeenAt);
    return t >= since && t <= until;
  });
  const lookup = imageLookup(v);
  const items: LeadTime[] = [];
  for (const i of inPeriod) {
    const image = await lookup(i);
    const commit = image ? commitOf(image) : undefined;
    if (!commit) continue;
    const seconds = (Date.parse(i.firstSeenAt) - Date.parse(commit.time)) / 1000;
    items.push({
      digest: i.digest,
      application: i.application,
      ...(commit.sha ? { commitSha: commit.sha } : {}),
      commitTime: commit.time,
      firstRunningAt: i.firstSeenAt,
      seconds,
    });
  }
  items.sort((a, b) => a.firstRunningAt.localeCompare(b.firstRunningAt));
  const end = q.until ? Date.parse(q.until) : q.now.getTime();
  const days = q.since ? (end - Date.parse(q.since)) / 86_400_000 : undefined;
  const counts = new Map<string, number>();
  for (const i of inPeriod) counts.set(i.application, (counts.get(i.application) ?? 0) + 1);
  const report: LeadTimeReport = {
    items,
    frequency: [...counts.entries()].map(([application, deployments]) => ({
      application,
      deployments,
      ...(days && days > 0 ? { perDay: deployments / days } : {}),
    })),
  };
  const m = median(items.map((x) => x.seconds));
  if (m !== undefined) report.medianSeconds = m;
  if (q.since) report.since = q.since;
  if (q.until) report.until = q.until;
  return report;
}

function runningImage(facts: RunningFacts, interval: DeploymentInterval): RunningImage {
  const image = facts.image(interval);
  const out: RunningImage = {
    interval: image ? { ...interval, imageId: image.id } : interval,
    tags: image?.tags ?? [],
    pullRequests: [],
    issues: (image?.issueDetails ?? []).map(({ key, title, url }) => ({ key, title, url })),
    discoveredInCluster: facts.discovered(interval),
  };
  if (image?.latestBuild) out.build = image.latestBuild;
  const build = image?.builds[0];
  if (build?.git) {
    const { repo, branch, sha, message, time } = build.git;
    out.git = JSON.parse(JSON.stringify({ repo, branch, sha, message, time })) as RunningImage['git'] &
      object;
    const commit = image?.commits.find((c) => c.sha === sha);
    out.pullRequests = (commit?.pullRequests ?? []).map(({ number, title, url }) => ({ number, title, url }));
  }
  return out;
}

export async function applicationView(
  v: Views,
  name: string,
  timeline: readonly DeploymentInterval[],
  q: Period,
): Promise<ApplicationView> {
  const open = timeline.filter((x) => x.endedAt === undefined);
  const facts = await runningFacts(v, open);
  const running = open.map((i) => runningImage(facts, i));
  return {
    ...summary(name, timeline),
    running,
    timeline: [...timeline],
    leadTime: await leadTimes(v, timeline, q),
  };
}
