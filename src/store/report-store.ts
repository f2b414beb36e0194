import { createHash } from 'node:crypto';
import * as z from 'zod';
import { ResourceName } from '../domain/names.js';
import { parseInput } from '../domain/parse.js';
import { backoffMs } from '../domain/retry.js';
import { ImageReportInput, ReportStatus, type ReportStep, type ReportView } from '../contract/images.js';

/**
 * The durable-job port for image reports: `sql-report-store.ts` (Kysely, SQLite and PostgreSQL) and
 * `fake-report-store.ts` (in-memory). DESIGN: "accepted = persisted; a crash loses nothing; a job runs to
 * success, or to a recorded failure with its reason".
 *
 * Lifecycle: `enqueue` → queued; `claim` → running with a lease held by one owner, attempts + 1; the owner
 * `heartbeat`s to keep the lease, records progress (`appendStep`, or steps carried by `heartbeat`, `succeed`
 * and `fail`, which spares a write per step) and ends with `succeed` or `fail`. A lease that
 * expires (the worker died) makes the job claimable again. Every owner-side call is refused (false) once
 * the caller no longer holds the lease, so two workers never both complete one job.
 *
 * `owner` must be unique per worker *incarnation* (e.g. `host:pid:random`): a restarted worker reusing its
 * old name could otherwise complete a job it claimed in its previous life.
 */

export const DEFAULT_MAX_ATTEMPTS = 5;

/**
 * How often, at most (in the store's time), a claim that found nothing also fails the jobs whose last allowed
 * attempt's lease ran out: idle workers woken in a burst would otherwise each pay for that sweep.
 */
export const EXHAUSTED_SWEEP_MS = 1000;

/** Who holds a lease (a worker, or an agent's claim) and for how long: the same for a claim and a hand-over. */
const LeaseOwner = z.string().min(1).max(200);
const LeaseMs = z
  .number()
  .int()
  .min(1)
  .max(24 * 3600_000);

export const EnqueueOptions = z
  .object({
    runtime: ResourceName,
    /** Same key → same job: a CI retry of one report does not enqueue it twice. */
    idempotencyKey: z.string().min(1).max(200).optional(),
    /** Where the key is unique: who accepted the report and for which runtime (`report@edge`). */
    idempotencyScope: z.string().min(1).max(300).default('global'),
    maxAttempts: z.number().int().min(1).max(100).default(DEFAULT_MAX_ATTEMPTS),
    /**
     * For a claim already waiting for this report (runtimes/agent-dispatch.ts `offer`): the new job is
     * written as that claim would leave it, running under `owner`'s lease, first attempt counted. Ignored
     * when an idempotency key names an existing job.
     */
    lease: z.object({ owner: LeaseOwner, leaseMs: LeaseMs }).strict().optional(),
  })
  .strict();
export type EnqueueOptions = z.input<typeof EnqueueOptions>;

export interface EnqueueResult {
  id: string;
  /** False when the idempotency key named an existing job, whose id is returned. */
  created: boolean;
  /** The job as `get` shows it now: the intake's answer needs no second read. */
  report: ReportView;
  /** Set when that existing job was reported with other content: the key was reused, not retried. */
  differentInput?: true;
  /** The new job as `claim` would have returned it, when it was written under `lease`. */
  claimed?: ClaimedJob;
}

/**
 * A claim waiting for work, set aside for one report at its intake: the report is written under `lease`
 * and handed to the claim (`deliver`), or, when nothing was written for it, the claim looks as if woken.
 */
export interface ReportHandoff {
  lease: { owner: string; leaseMs: number };
  deliver(job: ClaimedJob): void;
  cancel(): void;
}

/** What makes two reports "the same" for an idempotency key: the content and the runtime. */
export function reportHash(input: ImageReportInput, runtime: string): string {
  return createHash('sha256')
    .update(JSON.stringify([runtime, input]))
    .digest('hex');
}

export const ClaimOptions = z.object({
  owner: LeaseOwner,
  leaseMs: LeaseMs,
  now: z.date().optional(),
  /**
   * Only jobs of these runtimes (the in-process runner: its own runtime and the hosted ones; an agent:
   * its runtime). Absent: any runtime.
   */
  runtimes: z.array(ResourceName).max(1000).optional(),
});
export type ClaimOptions = z.input<typeof ClaimOptions>;

export interface ClaimedJob {
  id: string;
  input: ImageReportInput;
  runtime: string;
  /** Including this one: 1 on the first run. */
  attempts: number;
  maxAttempts: number;
  /** ISO time the lease runs out unless renewed by `heartbeat`. */
  leaseUntil: string;
  /** ISO time the report was accepted: when CI reported the build, whatever the retries since. */
  createdAt: string;
}

export interface FailOptions {
  message: string;
  /** A stable machine-readable class, e.g. `RegistryAuthError`, for dashboards and alerting. */
  errorClass?: string;
  /** Transient (throttling, network): try again later, until max attempts. */
  retryable: boolean;
  /** When to retry; default `now + retryDelayMs(attempts)`. */
  retryAt?: Date;
  /** Steps not yet recorded, appended in the same write. */
  steps?: ReportStep[];
}

/** False: refused, the caller no longer holds the lease. Otherwise where the job went. */
export type FailOutcome = false | { status: 'queued'; nextAttemptAt: string } | { status: 'failed' };

export interface QueueStat {
  runtime: string;
  queued: number;
  /** ISO time the longest-waiting queued report was accepted. */
  oldestCreatedAt: string;
}

export const ReportListQuery = z.object({
  status: ReportStatus.optional(),
  runtime: ResourceName.optional(),
  /** The reported reference, or a prefix of it (`<registry>/<repository>` finds every tag). */
  image: z.string().min(1).max(1024).optional(),
  /** Accepted at or after this ISO time. */
  since: z.iso.datetime({ offset: true }).optional(),
  /** Keyset paging: only reports older than this id (ids sort by acceptance). */
  beforeId: z
    .string()
    .regex(/^[\w-]{1,100}$/)
    .optional(),
  limit: z.number().int().min(1).max(1000).default(100),
});
export type ReportListQuery = z.input<typeof ReportListQuery>;

export interface ReportStore {
  enqueue(input: ImageReportInput, opts: EnqueueOptions): Promise<EnqueueResult>;
  get(id: string): Promise<ReportView | null>;
  /**
   * Atomically takes the job that has waited longest among those queued and due, or running with an
   * expired lease, for `owner`. Null when there is none. Safe with any number of workers and processes.
   */
  claim(opts: ClaimOptions): Promise<ClaimedJob | null>;
  /**
   * Extends the lease, appending `steps` (progress so far) in the same write; false when the caller lost it
   * (stop working on the job).
   */
  heartbeat(id: string, owner: string, leaseMs: number, steps?: ReportStep[]): Promise<boolean>;
  appendStep(id: string, owner: string, step: ReportStep): Promise<boolean>;
  /** Marks the job done with its result, appending `steps` in the same write. */
  succeed(
    id: string,
    owner: string,
    result: { imageId: string; digest: string },
    steps?: ReportStep[],
  ): Promise<boolean>;
  fail(id: string, owner: string, failure: FailOptions): Promise<FailOutcome>;
  /**
   * Hands a running job back (its worker is stopping): queued again at once, and the attempt it used is
   * not counted. False when the caller no longer holds the lease.
   */
  release(id: string, owner: string): Promise<boolean>;
  /** The job's status, runtime and last lease owner (kept after the end), for idempotent completion. */
  holder(id: string): Promise<{ status: ReportStatus; runtime: string; owner: string | null } | null>;
  counts(): Promise<Record<ReportStatus, number>>;
  /** Per runtime: reports waiting to run (queued, incl. retries) and when the oldest of them was accepted. */
  queueStats(): Promise<QueueStat[]>;
  /** Newest first. */
  list(query?: ReportListQuery): Promise<ReportView[]>;
}

/** Exponential backoff: 2 s, 4 s, 8 s … capped at 5 minutes. `attempts` is the number of runs so far. */
export function retryDelayMs(attempts: number): number {
  return backoffMs({ baseMs: 2000, maxMs: 5 * 60_000, jitter: 'none' }, attempts - 1);
}

/** The columns a job written under `lease` starts with, as a claim at `now` would set them. */
export function leasedStart(
  lease: { owner: string; leaseMs: number } | undefined,
  now: Date,
): { status: 'queued' | 'running'; owner: string | null; until: string | null; attempts: number } {
  if (!lease) return { status: 'queued', owner: null, until: null, attempts: 0 };
  const until = new Date(now.getTime() + lease.leaseMs).toISOString();
  return { status: 'running', owner: lease.owner, until, attempts: 1 };
}

/** What `enqueue` returns of a job it wrote under a lease: what `claim` would have returned. */
export function handedJob(
  id: string,
  input: ImageReportInput,
  opts: { runtime: string; maxAttempts: number },
  leaseUntil: string,
  createdAt: string,
): ClaimedJob {
  return {
    id,
    input,
    runtime: opts.runtime,
    attempts: 1,
    maxAttempts: opts.maxAttempts,
    leaseUntil,
    createdAt,
  };
}

export function parseEnqueue(
  input: ImageReportInput,
  opts: EnqueueOptions,
): { input: ImageReportInput; opts: z.output<typeof EnqueueOptions> } {
  return {
    input: parseInput(ImageReportInput, input, 'image report'),
    opts: parseInput(EnqueueOptions, opts, 'enqueue options'),
  };
}

export const StepInput = z.object({
  name: z.string().min(1).max(200),
  status: z.enum(['running', 'ok', 'failed', 'skipped']),
  message: z.string().max(4000).optional(),
  at: z.iso.datetime({ offset: true }),
});

const MAX_STEPS_PER_WRITE = 200;
const IsoTime = z.iso.datetime({ offset: true });

/**
 * Steps for one write (a renewal or an outcome), cut to what is kept rather than refused: names of 200
 * characters, messages of 4000, 200 steps (the last saying how many more there were), a time that is one.
 * Steps are diagnostics whose length a pushed image decides; refusing them would fail the lease renewal and
 * the outcome that carry them.
 */
export function fitSteps(steps: readonly ReportStep[] | undefined): ReportStep[] {
  if (steps === undefined || steps.length === 0) return [];
  const now = new Date().toISOString();
  const at = (t: string) => (IsoTime.safeParse(t).success ? t : now);
  const kept = steps.slice(0, steps.length > MAX_STEPS_PER_WRITE ? MAX_STEPS_PER_WRITE - 1 : undefined);
  const out = kept.map((s): ReportStep => ({
    name: s.name.slice(0, 200) || 'step',
    status: s.status,
    ...(s.message !== undefined ? { message: s.message.slice(0, 4000) } : {}),
    at: at(s.at),
  }));
  const dropped = steps.length - kept.length;
  if (dropped > 0)
    out.push({ name: 'steps', status: 'skipped', message: `${dropped} more steps not kept`, at: now });
  return out;
}

export function parseStep(step: ReportStep): ReportStep {
  const s = parseInput(StepInput, step, 'report step');
  return s.message === undefined
    ? { name: s.name, status: s.status, at: s.at }
    : { name: s.name, status: s.status, message: s.message, at: s.at };
}

export function parseLeaseMs(leaseMs: number): number {
  return parseInput(ClaimOptions.shape.leaseMs, leaseMs, 'lease duration');
}

export const EMPTY_COUNTS: Readonly<Record<ReportStatus, number>> = {
  queued: 0,
  running: 0,
  succeeded: 0,
  failed: 0,
};
