import type { ImageReportInput, ReportStatus, ReportStep, ReportView } from '../contract/images.js';
import { parseInput } from '../domain/parse.js';
import {
  ClaimOptions,
  EMPTY_COUNTS,
  EXHAUSTED_SWEEP_MS,
  ReportListQuery,
  leasedStart,
  handedJob,
  parseEnqueue,
  parseLeaseMs,
  parseStep,
  fitSteps,
  reportHash,
  retryDelayMs,
  type ClaimedJob,
  type EnqueueOptions,
  type EnqueueResult,
  type FailOptions,
  type FailOutcome,
  type QueueStat,
  type ReportStore,
} from './report-store.js';
import { createSortableIdGenerator } from './sortable-id.js';

interface Job {
  id: string;
  status: ReportStatus;
  input: ImageReportInput;
  runtime: string;
  attempts: number;
  maxAttempts: number;
  leaseOwner: string | null;
  leaseUntil: string | null;
  nextAttemptAt: string | null;
  error: { message: string; errorClass?: string } | null;
  steps: ReportStep[];
  result: { imageId: string; digest: string } | null;
  /** `scope key`: the key cannot hold a space, so the pair is unambiguous. */
  idempotencyKey: string | null;
  inputHash: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * In-memory twin of SqlReportStore for unit tests of the runner and routes: the same validation, the same
 * lease and retry rules. Single-threaded JavaScript makes each method atomic.
 */
export class FakeReportStore implements ReportStore {
  private readonly jobs = new Map<string, Job>();
  private readonly now: () => Date;
  private readonly nextId = createSortableIdGenerator('rep_');
  private lastSweep = Number.NEGATIVE_INFINITY;

  constructor(deps: { now?: () => Date } = {}) {
    this.now = deps.now ?? (() => new Date());
  }

  // Validation errors become rejections, as from the SQL store, not synchronous throws.
  enqueue(rawInput: ImageReportInput, rawOpts: EnqueueOptions): Promise<EnqueueResult> {
    return attempt(() => {
      const { input, opts } = parseEnqueue(rawInput, rawOpts);
      const hash = reportHash(input, opts.runtime);
      const idem =
        opts.idempotencyKey === undefined ? null : `${opts.idempotencyScope} ${opts.idempotencyKey}`;
      for (const j of this.jobs.values()) {
        if (idem === null || j.idempotencyKey !== idem) continue;
        return j.inputHash === hash
          ? { id: j.id, created: false, report: view(j) }
          : { id: j.id, created: false, report: view(j), differentInput: true as const };
      }
      const now = this.now();
      const at = now.toISOString();
      const id = this.nextId(now);
      const start = leasedStart(opts.lease, now);
      const job: Job = {
        id,
        status: start.status,
        input,
        runtime: opts.runtime,
        attempts: start.attempts,
        maxAttempts: opts.maxAttempts,
        leaseOwner: start.owner,
        leaseUntil: start.until,
        nextAttemptAt: start.until ?? at,
        error: null,
        steps: [],
        result: null,
        idempotencyKey: idem,
        inputHash: hash,
        createdAt: at,
        updatedAt: at,
      };
      this.jobs.set(id, job);
      if (!start.until) return { id, created: true, report: view(job) };
      const claimed = handedJob(id, input, opts, start.until, at);
      return { id, created: true, report: view(job), claimed };
    });
  }

  get(id: string): Promise<ReportView | null> {
    const j = this.jobs.get(id);
    return Promise.resolve(j ? view(j) : null);
  }

  claim(rawOpts: ClaimOptions): Promise<ClaimedJob | null> {
    return attempt(() => {
      const opts = parseInput(ClaimOptions, rawOpts, 'claim options');
      const now = opts.now ?? this.now();
      const at = now.toISOString();
      const ready = [...this.jobs.values()]
        .filter((j) => j.nextAttemptAt !== null && j.nextAttemptAt <= at)
        .filter((j) => opts.runtimes === undefined || opts.runtimes.includes(j.runtime))
        .sort((a, b) => cmp(a.nextAttemptAt ?? '', b.nextAttemptAt ?? '') || cmp(a.id, b.id));
      const job = ready.find((j) => j.attempts < j.maxAttempts);
      if (!job) {
        if (Math.abs(now.getTime() - this.lastSweep) < EXHAUSTED_SWEEP_MS) return null;
        this.lastSweep = now.getTime();
        for (const j of ready) {
          if (j.status === 'running') {
            j.status = 'failed';
            j.nextAttemptAt = null;
            j.error = {
              message: 'the worker stopped responding (its lease expired) on the last allowed attempt',
              errorClass: 'LeaseExpired',
            };
            j.updatedAt = at;
          }
        }
        return null;
      }
      const until = new Date(now.getTime() + opts.leaseMs).toISOString();
      job.status = 'running';
      job.leaseOwner = opts.owner;
      job.leaseUntil = until;
      job.nextAttemptAt = until;
      job.attempts += 1;
      job.updatedAt = at;
      return {
        id: job.id,
        input: structuredClone(job.input),
        runtime: job.runtime,
        attempts: job.attempts,
        maxAttempts: job.maxAttempts,
        leaseUntil: until,
        createdAt: job.createdAt,
      };
    });
  }

  heartbeat(id: string, owner: string, leaseMs: number, steps?: ReportStep[]): Promise<boolean> {
    return attempt(() => {
      const ms = parseLeaseMs(leaseMs);
      const more = fitSteps(steps);
      const j = this.owned(id, owner);
      if (!j) return false;
      j.steps.push(...more);
      const now = this.now();
      j.leaseUntil = j.nextAttemptAt = new Date(now.getTime() + ms).toISOString();
      j.updatedAt = now.toISOString();
      return true;
    });
  }

  appendStep(id: string, owner: string, step: ReportStep): Promise<boolean> {
    return attempt(() => {
      const s = parseStep(step);
      const j = this.owned(id, owner);
      if (!j) return false;
      j.steps.push(s);
      j.updatedAt = this.now().toISOString();
      return true;
    });
  }

  succeed(
    id: string,
    owner: string,
    result: { imageId: string; digest: string },
    steps?: ReportStep[],
  ): Promise<boolean> {
    return attempt(() => {
      const more = fitSteps(steps);
      const j = this.owned(id, owner);
      if (!j) return false;
      j.steps.push(...more);
      j.status = 'succeeded';
      j.leaseUntil = j.nextAttemptAt = null;
      j.error = null;
      j.result = { imageId: result.imageId, digest: result.digest };
      j.updatedAt = this.now().toISOString();
      return true;
    });
  }

  fail(id: string, owner: string, failure: FailOptions): Promise<FailOutcome> {
    return attempt(() => this.failNow(id, owner, failure));
  }

  private failNow(id: string, owner: string, failure: FailOptions): FailOutcome {
    const more = fitSteps(failure.steps);
    const j = this.owned(id, owner);
    if (!j) return false;
    j.steps.push(...more);
    const now = this.now();
    const retry = failure.retryable && j.attempts < j.maxAttempts;
    j.status = retry ? 'queued' : 'failed';
    j.leaseUntil = null;
    j.nextAttemptAt = retry
      ? (failure.retryAt ?? new Date(now.getTime() + retryDelayMs(j.attempts))).toISOString()
      : null;
    j.error = {
      message: failure.message.slice(0, 4000),
      ...(failure.errorClass === undefined ? {} : { errorClass: failure.errorClass }),
    };
    j.updatedAt = now.toISOString();
    return j.nextAttemptAt === null
      ? { status: 'failed' }
      : { status: 'queued', nextAttemptAt: j.nextAttemptAt };
  }

  release(id: string, owner: string): Promise<boolean> {
    const j = this.owned(id, owner);
    if (!j || j.attempts === 0) return Promise.resolve(false);
    const at = this.now().toISOString();
    j.status = 'queued';
    j.leaseUntil = null;
    j.nextAttemptAt = at;
    j.attempts -= 1;
    j.updatedAt = at;
    return Promise.resolve(true);
  }

  holder(id: string): Promise<{ status: ReportStatus; runtime: string; owner: string | null } | null> {
    const j = this.jobs.get(id);
    return Promise.resolve(j ? { status: j.status, runtime: j.runtime, owner: j.leaseOwner } : null);
  }

  counts(): Promise<Record<ReportStatus, number>> {
    const out = { ...EMPTY_COUNTS };
    for (const j of this.jobs.values()) out[j.status] += 1;
    return Promise.resolve(out);
  }

  queueStats(): Promise<QueueStat[]> {
    const byRuntime = new Map<string, QueueStat>();
    for (const j of this.jobs.values()) {
      if (j.status !== 'queued') continue;
      const s = byRuntime.get(j.runtime);
      if (!s) byRuntime.set(j.runtime, { runtime: j.runtime, queued: 1, oldestCreatedAt: j.createdAt });
      else {
        s.queued += 1;
        if (j.createdAt < s.oldestCreatedAt) s.oldestCreatedAt = j.createdAt;
      }
    }
    return Promise.resolve([...byRuntime.values()]);
  }

  list(query: ReportListQuery = {}): Promise<ReportView[]> {
    return attempt(() => {
      const q = parseInput(ReportListQuery, query, 'report list query');
      const { status, limit } = q;
      const since = q.since === undefined ? undefined : new Date(q.since).toISOString();
      return [...this.jobs.values()]
        .filter((j) => status === undefined || j.status === status)
        .filter((j) => q.runtime === undefined || j.runtime === q.runtime)
        .filter((j) => q.image === undefined || j.input.image.startsWith(q.image))
        .filter((j) => since === undefined || j.createdAt >= since)
        .filter((j) => q.beforeId === undefined || j.id < q.beforeId)
        .sort((a, b) => cmp(b.id, a.id))
        .slice(0, limit)
        .map(view);
    });
  }

  private owned(id: string, owner: string): Job | undefined {
    const j = this.jobs.get(id);
    return j && j.status === 'running' && j.leaseOwner === owner ? j : undefined;
  }
}

function attempt<T>(fn: () => T): Promise<T> {
  return new Promise((resolve) => resolve(fn()));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function view(j: Job): ReportView {
  const v: ReportView = {
    id: j.id,
    status: j.status,
    attempts: j.attempts,
    image: j.input.image,
    runtime: j.runtime,
    steps: j.steps.map((s) => ({ ...s })),
    createdAt: j.createdAt,
    updatedAt: j.updatedAt,
  };
  if (j.error) v.error = { ...j.error };
  if (j.result) v.result = { ...j.result };
  return v;
}
