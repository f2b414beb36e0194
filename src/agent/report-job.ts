import { isAppError } from '../domain/errors.js';
import { AGENT_PROTOCOL, CompleteResponse, type ReportJob } from '../contract/agent-protocol.js';
import type { EnrichmentPipeline } from '../enrichment/pipeline.js';
import { ImageReportInput } from '../contract/images.js';
import { classifyRemoteFailure } from '../integrations/remote-failure.js';
import type { Logger } from '../logging/logger.js';
import type { Redactor } from '../logging/redactor.js';
import type { AgentTransport } from './transport.js';
import { backoffMs, sleep } from './backoff.js';
import { keepLease } from './lease.js';

export interface ReportJobDeps {
  transport: AgentTransport;
  pipeline: Pick<EnrichmentPipeline, 'run'>;
  redactor: Redactor;
  logger: Logger;
  /** Jobs whose result is done but not yet delivered (the control plane is away): see `deliver`. */
  undelivered: Set<string>;
  /** How long the completion's early request may wait for the result (default 15 s). */
  earlyCompletionMs?: number;
}

/**
 * How long the completion's early request is held open for a job still running: past it, the result goes
 * as a request of its own. Well under what proxies allow an idle request (nginx, AWS ALB: 60 s).
 */
const EARLY_COMPLETION_MS = 15_000;

/**
 * When the completion's request is opened after a job starts. Opened at once, its connection and headers
 * (≈ 0.15 ms of this thread) went ahead of the pipeline's first ECR requests, whose way through the AWS SDK
 * to the socket takes 1–2 ms on a CPU that was idle; a job done sooner sends its result on its own request.
 */
const OPEN_AFTER_MS = 3;

const completePath = (id: string) => `/api/v1/agent/jobs/${id}/complete`;

/** How long a finished result is kept trying to reach the control plane (a restart, a network cut). */
const DELIVERY_BUDGET_MS = 10 * 60_000;

/**
 * One report on this runtime: the same pipeline the control plane runs in-process, with this agent's key
 * store, executor and snapshot; the lease is renewed while it runs, and the result (registry facts, never
 * a secret) is sent back once, by job and lease.
 */
export async function runReportJob(deps: ReportJobDeps, job: ReportJob): Promise<void> {
  const { logger } = deps;
  const steps: Array<{ name: string; status: 'ok' | 'failed' | 'skipped'; message?: string; at: string }> =
    [];
  const step = (name: string, status: 'ok' | 'failed' | 'skipped', message?: string) =>
    steps.push({
      name,
      status,
      ...(message ? { message: deps.redactor.redact(message).slice(0, 4000) } : {}),
      at: new Date().toISOString(),
    });
  const stopRenewing = keepLease(deps, `/api/v1/agent/jobs/${job.id}/renew`, job);
  const early = earlyCompletion(deps, job.id);
  let outcome: Record<string, unknown>;
  let settled = false;
  try {
    const input = ImageReportInput.parse(job.input);
    const result = await deps.pipeline.run(
      { id: job.id, input, runtime: job.runtime, createdAt: job.createdAt },
      step,
    );
    step('enriched', 'ok', `on runtime ${job.runtime}`);
    outcome = { ok: true, result };
    settled = true;
  } catch (err) {
    const c = classify(err, deps.redactor);
    step('failed', 'failed', c.message);
    outcome = { ok: false, ...c };
    logger.info({ report: job.id, errorClass: c.errorClass }, `report failed: ${c.message}`);
    settled = true;
  } finally {
    stopRenewing();
    // Sent below; or, should anything here have thrown, closed: `settled` is set only on the way out.
    if (!settled) early.close();
  }
  const body = { protocol: AGENT_PROTOCOL, leaseId: job.leaseId, attempt: job.attempt, steps, outcome };
  if (await early.send(body)) return;
  await deliver(deps, job.id, body);
}

/**
 * The completion's request, opened once the pipeline's first requests are out (the thread is then idle,
 * waiting on ECR), its body sent when the result is ready (ADR 0040). `send` says false, having sent
 * nothing or maybe something, when it could not be used: the result then goes on a request of its own
 * (a result that may have arrived is safe to send again: completion is idempotent by job and lease).
 */
function earlyCompletion(
  deps: ReportJobDeps,
  id: string,
): { send(body: object): Promise<boolean>; close(): void } {
  let early: ReturnType<AgentTransport['open']> | undefined;
  const opening = setTimeout(() => {
    try {
      early = deps.transport.open(
        CompleteResponse,
        completePath(id),
        deps.earlyCompletionMs ?? EARLY_COMPLETION_MS,
      );
    } catch {
      // A request that cannot even be made: the result's own request says why.
    }
  }, OPEN_AFTER_MS);
  const close = () => {
    clearTimeout(opening);
    early?.abandon();
  };
  return {
    async send(body) {
      clearTimeout(opening);
      if (!early) return false;
      try {
        return (await early.send(body)) !== undefined;
      } catch {
        return false; // sent anew by the caller, where a failure is reported and retried
      } finally {
        close();
      }
    },
    close,
  };
}

/**
 * Completion is idempotent by job and lease: sending it again after a cut connection is safe. While the
 * control plane is away (restarting) the result is kept and sent again with backoff: the job stays this
 * agent's as long as nobody else claims it, which is why the agent claims nothing new meanwhile
 * (`undelivered`, checked by the workers) instead of taking its own expired job over and running it twice.
 */
async function deliver(deps: ReportJobDeps, id: string, body: Record<string, unknown>): Promise<void> {
  const deadline = Date.now() + DELIVERY_BUDGET_MS;
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await deps.transport.call(CompleteResponse, 'POST', completePath(id), body);
        return;
      } catch (err) {
        const transient = isAppError(err) && (err.kind === 'unreachable' || err.kind === 'unavailable');
        if (!transient || Date.now() > deadline) throw err;
        deps.undelivered.add(id);
        const wait = backoffMs(attempt, 5000);
        deps.logger.warn(
          { err, report: id },
          `cannot deliver the result yet; retrying in ${Math.round(wait)} ms`,
        );
        await sleep(wait);
      }
    }
  } finally {
    deps.undelivered.delete(id);
  }
}

function classify(
  err: unknown,
  redactor: Redactor,
): { message: string; errorClass: string; retryable: boolean } {
  // The same classification as the control plane's runner: what failed, and whether a retry may help.
  const { message, errorClass, retryable } = classifyRemoteFailure(err, redactor);
  return { message: message.slice(0, 4000), errorClass, retryable };
}
