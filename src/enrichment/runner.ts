import { randomUUID } from 'node:crypto';
import { isAppError } from '../domain/errors.js';
import { backoffMs } from '../domain/retry.js';
import { classifyRemoteFailure } from '../integrations/remote-failure.js';
import type { Logger } from '../logging/logger.js';
import type { Redactor } from '../logging/redactor.js';
import type { ImageStore } from '../store/image-store.js';
import type { ReportStore } from '../store/report-store.js';
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
  /** Idle workers, each waiting to be woken. */
  private readonly waiters = new Set<() => void>();
  private readonly active = new Set<string>();

  constructor(private readonly o: RunnerOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    for (let i = 0; i < (this.o.concurrency ?? 4); i++)
      this.workers.push(this.loop(`${this.ownerBase}-w${i}`));
  }

  /** Wakes idle workers: a report was just accepted. */
  notify(): void {
    for (const wake of [...this.waiters]) wake();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.notify();
    await Promise.all(this.workers);
    this.workers.length = 0;
  }

  /** Whether the workers run (for /readyz). */
  get started(): boolean {
    return this.running;
  }

  /** Reports being enriched right now (for /healthz and tests). */
  get busy(): number {
    return this.active.size;
  }

  /** Waits for a notify, or for the poll interval (jobs from other processes, retries coming due). */
  private async idle(): Promise<void> {
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, this.o.pollMs ?? 1000);
      this.waiters.add(wake);
    });
  }

  private async loop(owner: string): Promise<void> {
    while (this.running) {
      let job: Awaited<ReturnType<ReportStore['claim']>>;
      try {
        job = await this.o.reports.claim({
          owner,
          leaseMs: this.o.leaseMs ?? 60_000,
          ...(this.o.runtimes ? { runtimes: this.o.runtimes() } : {}),
        });
      } catch (err) {
        this.o.logger.warn({ err }, 'cannot claim reports (store unavailable?); retrying');
        await this.idle();
        continue;
      }
      if (!job) {
        await this.idle();
        continue;
      }
      await this.runJob(job, owner);
    }
  }

  private async runJob(
    job: NonNullable<Awaited<ReturnType<ReportStore['claim']>>>,
    owner: string,
  ): Promise<void> {
    const { reports, images, logger } = this.o;
    const leaseMs = this.o.leaseMs ?? 60_000;
    this.active.add(job.id);
    const heartbeat = setInterval(
      () => {
        reports
          .heartbeat(job.id, owner, leaseMs)
          .catch((err: unknown) => logger.warn({ err, report: job.id }, 'lease renewal failed'));
      },
      Math.max(250, Math.floor(leaseMs / 3)),
    );
    const steps: Array<Promise<unknown>> = [];
    const telemetry = this.o.telemetry ?? noTelemetry;
    const step = this.stepRecorder(job.id, owner, steps, telemetry);
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
      await Promise.all(steps);
      const done = await reports.succeed(job.id, owner, {
        imageId: recorded.imageId,
        digest: result.image.digest,
      });
      if (done) telemetry.reportFinished(job.runtime, 'succeeded');
      else
        logger.warn(
          { report: job.id },
          'report finished after its lease was taken over; the other worker records it',
        );
    } catch (err) {
      const { message, errorClass, retryable } = classifyRemoteFailure(err, this.o.redactor);
      step('failed', 'failed', message);
      await Promise.all(steps);
      const backoff = { baseMs: this.o.retryBaseMs ?? 1000, maxMs: this.o.retryMaxMs ?? 60_000 };
      const retryAt = new Date(Date.now() + backoffMs({ ...backoff, jitter: 'none' }, job.attempts - 1));
      try {
        const outcome = await reports.fail(job.id, owner, { message, errorClass, retryable, retryAt });
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
      clearInterval(heartbeat);
      this.active.delete(job.id);
    }
  }

  /** Appends each step to the report (writes collected in `steps`) and times it for the metrics. */
  private stepRecorder(id: string, owner: string, steps: Array<Promise<unknown>>, telemetry: Telemetry) {
    let lastStepAt = performance.now();
    return (name: string, status: 'ok' | 'failed' | 'skipped', message?: string): void => {
      // Steps are reported when they end, so a step took the time since the one before it.
      const at = performance.now();
      telemetry.enrichmentStep(name, (at - lastStepAt) / 1000);
      lastStepAt = at;
      steps.push(
        this.o.reports
          .appendStep(id, owner, {
            name,
            status,
            ...(message ? { message: this.o.redactor.redact(message) } : {}),
            at: new Date().toISOString(),
          })
          .catch(() => undefined),
      );
    };
  }
}
