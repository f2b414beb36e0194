import * as z from 'zod';
import { AGENT_PROTOCOL } from '../contract/agent-protocol.js';
import { ConflictError } from '../domain/errors.js';
import type { Logger } from '../logging/logger.js';
import type { AgentTransport } from './transport.js';

const Renewed = z.object({ leaseUntil: z.string() });

/**
 * Renews a claimed job's or task's lease every third of it while the agent works on it, so that no other
 * agent takes it over meanwhile (only if this one stops). Returns the function that stops renewing.
 * `renewPath`: `/api/v1/agent/jobs/ID/renew` or `/api/v1/agent/tasks/ID/renew`.
 */
export function keepLease(
  deps: { transport: AgentTransport; logger: Logger },
  renewPath: string,
  job: { id: string; leaseId: string; leaseMs: number },
): () => void {
  const timer = setInterval(
    () => {
      deps.transport
        .call(Renewed, 'POST', renewPath, { protocol: AGENT_PROTOCOL, leaseId: job.leaseId })
        .catch((err: unknown) => {
          // 409: another agent holds it now (this one was too slow): renewing again cannot win it back.
          if (err instanceof ConflictError) clearInterval(timer);
          deps.logger.warn({ err, job: job.id }, 'lease renewal failed');
        });
    },
    Math.max(200, Math.floor(job.leaseMs / 3)),
  );
  return () => clearInterval(timer);
}
