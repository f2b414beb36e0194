import { isAppError } from '../domain/errors.js';
import { AGENT_PROTOCOL, CompleteResponse, type ReportJob } from '../contract/agent-protocol.js';
import type { EnrichmentPipeline } from '../enrichment/pipeline.js';
import { ImageReportInput } from '../contract/images.js';
import { classifyRemoteFailure } from '../integrations/remote-failure.js';
import type { Logger } from '../logging/logger.js';
import type { Redactor } from '../logging/redactor.js';
import * as z from 'zod';
import type { AgentTransport } from './transport.js';
import { backoffMs, sleep } from './backoff.js';

export interface ReportJobDeps {
  transport: AgentTransport;
  pipeline: Pick<EnrichmentPipeline, 'run'>;
  redactor: Redactor;
  logger: Logger;
}

const Renewed = z.object({ leaseUntil: z.string() });

/**
 * One report on this runtime: the same pipeline the control plane runs in-process, with this agent's key
 * store, executor and snapshot; the lease is renewed while it runs, and the result (registry facts, never
 * a secret) is sent back once, by job and lease.
 */
export async function runReportJob(deps: ReportJobDeps, job: ReportJob): Promise<void> {
  const { transport, logger } = deps;
  const steps: Array<{ name: string; status: 'ok' | 'failed' | 'skipped'; message?: string; at: string }> =
    [];
  const step = (name: string, status: 'ok' | 'failed' | 'skipped', message?: string) =>
    steps.push({
      name,
      status,
      ...(message ? { message: deps.redactor.redact(message).slice(0, 4000) } : {}),
      at: new Date().toISOString(),
    });
  const renew = setInterval(
    () => {
      transport
        .call(Renewed, 'POST', `/api/v1/agent/jobs/${job.id}/renew`, {
          protocol: AGENT_PROTOCOL,
          leaseId: job.leaseId,
        })
        .catch((err: unknown) => logger.warn({ err, report: job.id }, 'lease renewal failed'));
    },
    Math.max(200, Math.floor(job.leaseMs / 3)),
  );
  let outcome: Record<string, unknown>;
  try {
    const input = ImageReportInput.parse(job.input);
    const result = await deps.pipeline.run(
      { id: job.id, input, runtime: job.runtime, createdAt: job.createdAt },
      step,
    );
    step('enriched', 'ok', `on runtime ${job.runtime}`);
    outcome = { ok: true, result };
  } catch (err) {
    const c = classify(err, deps.redactor);
    step('failed', 'failed', c.message);
    outcome = { ok: false, ...c };
    logger.info({ report: job.id, errorClass: c.errorClass }, `report failed: ${c.message}`);
  } finally {
    clearInterval(renew);
  }
  const body = { protocol: AGENT_PROTOCOL, leaseId: job.leaseId, attempt: job.attempt, steps, outcome };
  // Completion is idempotent by job and lease: sending it again after a cut connection is safe.
  for (let attempt = 0; ; attempt++) {
    try {
      await transport.call(CompleteResponse, 'POST', `/api/v1/agent/jobs/${job.id}/complete`, body);
      return;
    } catch (err) {
      const transient = isAppError(err) && (err.kind === 'unreachable' || err.kind === 'unavailable');
      if (!transient || attempt >= 5) throw err;
      await sleep(backoffMs(attempt));
    }
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
