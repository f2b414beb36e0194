import {
  AGENT_PROTOCOL,
  ClaimResponse,
  type AgentJob,
  type AwsIdentity,
  type ReportJob,
} from '../contract/agent-protocol.js';
import { AuthenticationError, isAppError } from '../domain/errors.js';
import type { EnrichmentPipeline } from '../enrichment/pipeline.js';
import type { Logger } from '../logging/logger.js';
import type { Redactor } from '../logging/redactor.js';
import { backoffMs, sleep } from './backoff.js';
import { runReportJob } from './report-job.js';
import { runTaskJob, type TaskJobDeps } from './task-job.js';
import type { AgentSnapshot } from './snapshot.js';
import type { AgentTransport } from './transport.js';
import type * as z from 'zod';

export interface AgentState extends Omit<TaskJobDeps, 'pipeline'> {
  transport: AgentTransport;
  snapshot: AgentSnapshot;
  pipeline: Pick<EnrichmentPipeline, 'run' | 'inspect'>;
  redactor: Redactor;
  logger: Logger;
  runtime: string;
  agentId: string;
  version: string;
  awsIdentity: AwsIdentity | null;
  waitMs: number;
  /** Jobs being worked on now, by id: handed back at shutdown if they do not finish in time. */
  active: Map<string, ReportJob>;
  /** The last claim reached the control plane (for /healthz). */
  connected: boolean;
  /** Finished jobs whose result has not reached the control plane yet (report-job.ts `deliver`). */
  undelivered: Set<string>;
}

/**
 * One worker: long-polls for a job of this runtime, runs it, sends the result; on a network cut or a
 * control-plane restart it backs off with jitter and dials again. A refused credential (revoked) or a
 * refusal of the agent itself (403, protocol mismatch) ends the agent: retrying cannot fix those.
 */
export async function workerLoop(state: AgentState, signal: AbortSignal): Promise<void> {
  let failures = 0;
  let first = true;
  while (!signal.aborted) {
    // Results first: a claim now could take over one of this agent's own finished jobs (its lease ran out
    // while the control plane was away) and run it a second time.
    if (state.undelivered.size > 0) {
      await sleep(100, signal);
      continue;
    }
    let claimed: z.output<typeof ClaimResponse>;
    // A worker's first claim is answered at once, so the agent knows it reaches the control plane (its
    // /readyz) at start, not after a whole idle long poll.
    const waitMs = first ? 0 : state.waitMs;
    try {
      claimed = await state.transport.call(
        ClaimResponse,
        'POST',
        '/api/v1/agent/claim',
        {
          protocol: AGENT_PROTOCOL,
          runtime: state.runtime,
          agentId: state.agentId,
          version: state.version,
          // Said once per worker life: the identity is what the runtime views show.
          ...(first ? { awsIdentity: state.awsIdentity } : {}),
          waitMs,
          max: 1,
        },
        { waitMs, signal },
      );
      first = false;
      failures = 0;
      state.connected = true;
    } catch (err) {
      if (signal.aborted) return;
      state.connected = false;
      if (!isAppError(err) || (err.kind !== 'unreachable' && err.kind !== 'unavailable'))
        throw fatal(state, err);
      const wait = backoffMs(failures++);
      state.logger.warn({ err }, `control plane not reachable; dialing again in ${Math.round(wait)} ms`);
      await sleep(wait, signal);
      continue;
    }
    for (const job of claimed.jobs) await runOne(state, job, claimed.configCommit);
  }
}

async function runOne(state: AgentState, job: AgentJob, commit: string | null): Promise<void> {
  // Reports are handed back at shutdown; a task's caller waits only so long, so it just ends.
  if (job.kind === 'report') state.active.set(job.id, job);
  try {
    await state.snapshot.ensure(commit);
    if (job.kind === 'report') await runReportJob(state, job);
    else await runTaskJob(state, job);
  } catch (err) {
    // The lease runs out and the job is taken again (here or by another replica): nothing is lost.
    state.logger.warn({ err, report: job.id }, 'could not finish the job; it will be retried');
    if (err instanceof AuthenticationError) throw fatal(state, err);
  } finally {
    state.active.delete(job.id);
  }
}

function fatal(state: AgentState, err: unknown): Error {
  if (err instanceof AuthenticationError) {
    return new AuthenticationError(
      `The control plane refused this agent's credential for runtime "${state.runtime}" (${err.message}). It was revoked, superseded by a later registration of the runtime with another key, or belongs to another control plane.`,
      {
        hints: [
          `Register again: get a token with \`imagetrail runtime token ${state.runtime}\`, delete credential.json in the data directory, and start the agent with --registration-token-file.`,
        ],
      },
    );
  }
  return err instanceof Error ? err : new Error(String(err));
}
