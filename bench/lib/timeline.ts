import type { ReportView } from '../../src/contract/images.js';
import { registryKind, type Seen } from './proxy.js';

/**
 * Where one report's time went, from the proxies' records (this process's clock) and the report's own
 * createdAt/updatedAt (the server's): the same machine, so one wall clock, to the millisecond.
 */
export interface Timeline {
  /** Accepted → first ECR/registry request at a proxy: claim, job start, the pipeline up to its first call. */
  before: number;
  /** Of `before`: accepted → the pipeline's `integration` step (claim and job start; the step's ms clock). */
  claim: number;
  /** First request in → last answer out: the remote phase, what the bare client's whole time compares to. */
  remote: number;
  /** Last answer → recorded as done: building the result, the completion call, the store. */
  after: number;
  /** Requests made, and the longest chain of requests each sent only after the one before it was answered. */
  calls: number;
  depth: number;
  /** Time each call spent upstream (sent → answer ended): ECR calls in moto by action, registry calls by kind. */
  upstream: Record<string, number[]>;
}

const epoch = (t: number) => performance.timeOrigin + t;

export function timelineOf(view: ReportView, seen: Seen[]): Timeline {
  const created = Date.parse(view.createdAt);
  const updated = Date.parse(view.updatedAt);
  const first = Math.min(...seen.map((s) => s.at));
  const last = Math.max(...seen.map((s) => s.endedAt ?? s.at));
  return {
    before: epoch(first) - created,
    claim: Date.parse(view.steps.find((x) => x.name === 'integration')?.at ?? view.updatedAt) - created,
    remote: last - first,
    after: updated - epoch(last),
    calls: seen.length,
    depth: sequentialDepth(seen),
    upstream: upstreamTimes(seen),
  };
}

/**
 * The time from forwarding a request upstream to the end of its answer: ECR calls by action (X-Amz-Target),
 * registry calls by kind (`blob`, `manifest`, …). On this machine that includes waiting for a core.
 */
export function upstreamTimes(seen: Seen[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const s of seen) {
    if (s.forwardedAt === undefined || s.endedAt === undefined) continue;
    (out[s.target ?? registryKind(s)] ??= []).push(s.endedAt - s.forwardedAt);
  }
  return out;
}

/** The longest chain of requests each sent only after the one before it was answered: the critical path. */
export function sequentialDepth(seen: Seen[]): number {
  const sorted = [...seen].sort((a, b) => a.at - b.at);
  const depth: number[] = [];
  sorted.forEach((r, i) => {
    let d = 0;
    for (let j = 0; j < i; j++) if ((sorted[j]!.answeredAt ?? Infinity) <= r.at) d = Math.max(d, depth[j]!);
    depth.push(d + 1);
  });
  return Math.max(0, ...depth);
}
