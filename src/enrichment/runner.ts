import { randomUUID } from 'node:crypto';
import { isAppError } from '../domain/errors.js';
import { backoffMs } from '../domain/retry.js';
import { classifyRemoteFailure } from '../integrations/remote-failure.js';
import type { Logger } from '../logging/logger.js';
import type { Redactor } from '../logging/redactor.js';
import type { ImageStore } from '../store/image-store.js';
import type { ReportStore } from '../store/report-store.js';
import type { ReportStep } from '../contract/images.js';
import { noTelemetry, type Telemetry } from '../domain/telemetry.js';
import type { EnrichmentPipeline, PipelineJob } from './pipeline.js';

export interface RunnerOptions {
  reports: ReportStore;
  images: ImageStore;
  pipeline: Pick<EnrichmentPipeline, 'run'>;
  logger: Logger;
  redactor: Redactor;
  /** Reports enriched at once by this process. */
  concurrency?: number;
  /** A job whose worker has not renewed its lease for this long is taken over (the worker crashed). */
  leaseMs?: number;
  /** How often idle workers look for work they were not told about (jobs from other processes, retries). */
  pollMs?: number;
  /** Retry backoff base; attempt n waits base × 2^(n−1), capped. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Step durations and run outcomes, for /metrics. */
  telemetry?: Telemetry;
  /**
   * The runtimes this process runs (its in-process runtime and the hosted ones), asked at each claim:
   * reports for a remote hybrid runtime wait in the store for that runtime's agents. Absent: every runtime.
   */
  runtimes?: () => string[];
}

/**
 * Runs accepted reports to an end. Jobs live in the store, so a crash loses nothing: on restart, jobs
 * whose lease expired are claimed again. Recording the result is idempotent (by digest + build), and a
 * worker that lost its lease cannot complete the job, so each report takes effect once.
 */
export class ReportRunner {
  /** Lease owners are per worker and per process life, so a worker can only complete its own claims. */
  private readonly ownerBase = `runner-${randomUUID()}`;
  private running = false;
  private readonly workers: Array<Promise<void>> = [];
  /** Idle workers, each waiting to be woken, longest idle first. */
  private readonly waiters: Array<() => void> = [];
  /** Wake-ups that came while no worker was idle (all busy, or between claims): each is one more look. */
  private pendingWakes = 0;
  /** Whether the last claim found a job: while it does, workers that finish look again before idling. */
  private backlog = true;
  private poll: NodeJS.Timeout | undefined;
  private readonly active = new Set<string>();

  constructor(private readonly o: RunnerOptions) {}

  private get concurrency(): number {
    return this.o.concurrency ?? 4;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (let i = 0; i < this.concurrency; i++)
      this.workers.push(this.loop(`${this.ownerBase}-w${i}`, i === 0));
    // One poll for the whole runner, not one per worker: each tick costs a claim statement.
    this.poll = setInterval(() => {
      this.backlog = true;
      this.wakeOne(false);
    }, this.o.pollMs ?? 1000);
    this.poll.unref();
  }

  /**
   * A report was just accepted (of `runtime`, when known): wakes one idle worker. A worker that claims a job
   * wakes the next, so a burst fans out to every worker while one report costs one claim, not one per worker.
   */
  notify(runtime?: string): void {
    if (runtime !== undefined && this.o.runtimes && !this.o.runtimes().includes(runtime)) return;
    this.wakeOne(true);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.poll);
    for (const wake of this.waiters.splice(0)) wake();
    await Promise.all(this.workers);
    this.workers.length = 0;
  }

  private wakeOne(remember: boolean): void {
    const wake = this.waiters.shift();
    if (wake) wake();
    // At most one remembered wake-up per worker: after a burst, each looks once more, not once per report.
    else if (remember) this.pendingWakes = Math.min(this.pendingWakes + 1, this.concurrency);
  }

  /** Whether the workers run (for /readyz). */
  get started(): boolean {
    return this.running;
  }

  /** Reports being enriched right now (for /healthz and tests). */
  get busy(): number {
    return this.active.size;
  }

  /** Waits for a notify, a claimed job's chain, or the runner's poll (other processes' jobs, retries due). */
  private async idle(): Promise<void> {
    if (this.takePending()) return;
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private takePending(): boolean {
    if (this.pendingWakes === 0) return false;
    this.pendingWakes--;
    return true;
  }

  private async loop(owner: string, first: boolean): Promise<void> {
    // One worker looks at start (jobs a stopped process left); the others wait to be woken.
    let look = first;
    while (this.running) {
      if (!look) await this.idle();
      look = false;
      if (!this.running) break;
      let job: Awaited<ReturnType<ReportStore['claim']>>;
      try {
        job = await this.o.reports.claim({
          owner,
          leaseMs: this.o.leaseMs ?? 60_000,
          ...(this.o.runtimes ? { runtimes: this.o.runtimes() } : {}),
        });
      } catch (err) {
        this.o.logger.warn({ err }, 'cannot claim reports (store unavailable?); retrying');
        await new Promise((r) => setTimeout(r, this.o.pollMs ?? 1000));
        look = true;
        continue;
      }
      this.backlog = job !== null;
      if (!job) continue;
      // There may be more: let the next idle worker look while this one runs its job.
      this.wakeOne(false);
      await this.runJob(job, owner);
      // Look again only when there may be work: a claim just found some, or a wake-up came meanwhile.
      look = this.backlog || this.takePending();
    }
  }

  private async runJob(
    job: NonNullable<Awaited<ReturnType<ReportStore['claim']>>>,
    owner: string,
  ): Promise<void> {
    const { reports, images, logger } = this.o;
    this.active.add(job.id);
    const telemetry = this.o.telemetry ?? noTelemetry;
    const progress = new StepBuffer(reports, job.id, owner, this.o, telemetry);
    const step = progress.record;
    try {
      const pipelineJob: PipelineJob = {
        id: job.id,
        input: job.input,
        runtime: job.runtime,
        createdAt: job.createdAt,
      };
      const result = await this.o.pipeline.run(pipelineJob, step);
      const recorded = await images.recordEnrichment(result);
      step('recorded', 'ok', `image ${recorded.imageId}${recorded.created ? ' (new)' : ''}`);
      const steps = await progress.finish();
      const done = await reports.succeed(
        job.id,
        owner,
        { imageId: recorded.imageId, digest: result.image.digest },
        steps,
      );
      if (done) telemetry.reportFinished(job.runtime, 'succeeded');
      else
        logger.warn(
          { report: job.id },
          'report finished after its lease was taken over; the other worker records it',
        );
    } catch (err) {
      const { message, errorClass, retryable } = classifyRemoteFailure(err, this.o.redactor);
      step('failed', 'failed', message);
      const steps = await progress.finish();
      const backoff = { baseMs: this.o.retryBaseMs ?? 1000, maxMs: this.o.retryMaxMs ?? 60_000 };
      const retryAt = new Date(Date.now() + backoffMs({ ...backoff, jitter: 'none' }, job.attempts - 1));
      try {
        const failure = { message, errorClass, retryable, retryAt, steps };
        const outcome = await reports.fail(job.id, owner, failure);
        if (outcome)
          telemetry.reportFinished(
            job.runtime,
            outcome.status === 'queued' ? 'retrying' : 'failed',
            errorClass,
          );
      } catch (storeErr) {
        // The job stays leased and will be taken over when the lease expires: nothing is lost.
        logger.error({ err: storeErr, report: job.id }, 'could not record the failure of a report');
      }
      if (!isAppError(err) || err.kind === 'internal')
        logger.error({ err, report: job.id }, 'report failed with an internal error');
      else logger.info({ report: job.id, errorClass, retryable }, `report failed: ${message}`);
    } finally {
      progress.stop();
      this.active.delete(job.id);
    }
  }
}

/**
 * A running job's steps and lease. Steps are kept here and written with the lease renewals (every third of
 * the lease) and with the outcome, not one write each: a report's progress shows at the renewal's pace,
 * and a step of an attempt that dies with its worker is lost with that attempt (the retry records its own).
 */
class StepBuffer {
  private readonly pending: ReportStep[] = [];
  private renewal: Promise<unknown> = Promise.resolve();
  private renewing = false;
  private readonly timer: NodeJS.Timeout;
  private lastStepAt = performance.now();

  constructor(
    private readonly reports: ReportStore,
    private readonly id: string,
    private readonly owner: string,
    private readonly o: Pick<RunnerOptions, 'leaseMs' | 'logger' | 'redactor'>,
    private readonly telemetry: Telemetry,
  ) {
    const leaseMs = o.leaseMs ?? 60_000;
    this.timer = setInterval(() => this.renew(leaseMs), Math.max(250, Math.floor(leaseMs / 3)));
  }

  /** The pipeline's step callback: times the step for the metrics and keeps it for the next write. */
  readonly record = (name: string, status: 'ok' | 'failed' | 'skipped', message?: string): void => {
    // Steps are reported when they end, so a step took the time since the one before it.
    const at = performance.now();
    this.telemetry.enrichmentStep(name, (at - this.lastStepAt) / 1000);
    this.lastStepAt = at;
    this.pending.push({
      name,
      status,
      ...(message ? { message: this.o.redactor.redact(message) } : {}),
      at: new Date().toISOString(),
    });
  };

  /** Stops renewing; the steps not yet written, for the outcome's write (after any renewal in flight). */
  async finish(): Promise<ReportStep[]> {
    clearInterval(this.timer);
    await this.renewal;
    return this.pending.splice(0);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private renew(leaseMs: number): void {
    // One renewal at a time: steps land in order, and none after the outcome that finish() waits for.
    if (this.renewing) return;
    this.renewing = true;
    const steps = this.pending.splice(0);
    this.renewal = this.reports
      .heartbeat(this.id, this.owner, leaseMs, steps)
      .then(
        () => undefined,
        (err: unknown) => {
          // Kept for the next write; the lease itself is retried at the next tick.
          this.pending.unshift(...steps);
          this.o.logger.warn({ err, report: this.id }, 'lease renewal failed');
        },
      )
      .finally(() => {
        this.renewing = false;
      });
  }
}
