import {
  AGENT_PROTOCOL,
  TaskCompleteResponse,
  type InspectTask,
  type TestTask,
} from '../contract/agent-protocol.js';
import { definitionOf } from '../integrations/types/definitions.js';
import type { SealedValue } from '../config-repo/kinds/common.js';
import { IntegrationV1alpha1, type IntegrationSpec } from '../config-repo/kinds/integration-v1alpha1.js';
import { assertSectionEndpoints } from '../config-repo/endpoints.js';
import type { KeyStore } from '../config-repo/keys.js';
import type { EndpointPolicy } from '../domain/endpoints.js';
import { ConflictError, isAppError } from '../domain/errors.js';
import { parseInput } from '../domain/parse.js';
import type { EnrichmentPipeline } from '../enrichment/pipeline.js';
import { classifyRemoteFailure } from '../integrations/remote-failure.js';
import { openStoredSecret } from '../integrations/sealed-secrets.js';
import { handlerFor, sectionOf } from '../integrations/types/index.js';
import type { IntegrationTestResult } from '../integrations/types/test-result.js';
import type { Logger } from '../logging/logger.js';
import type { Redactor } from '../logging/redactor.js';
import type { RuntimeExecutor } from '../runtimes/executor.js';
import { backoffMs, sleep } from './backoff.js';
import { keepLease } from './lease.js';
import type { AgentSnapshot } from './snapshot.js';
import type { AgentTransport } from './transport.js';

export interface TaskJobDeps {
  transport: AgentTransport;
  snapshot: AgentSnapshot;
  pipeline: Pick<EnrichmentPipeline, 'inspect'>;
  keys: KeyStore;
  /** Loaded on first use (the AWS SDK is most of an idle agent's memory). */
  executor: () => Promise<RuntimeExecutor>;
  endpoints: EndpointPolicy;
  redactor: Redactor;
  logger: Logger;
}

/**
 * A task someone waits for: a connection test of settings the control plane sealed for this runtime, or
 * an inspection through an integration this runtime sees. Run with this agent's identity and key; the
 * answer (checks or registry facts, never a secret) is sent back once, by task and lease.
 */
export async function runTaskJob(deps: TaskJobDeps, job: TestTask | InspectTask): Promise<void> {
  let outcome: Record<string, unknown>;
  const stopRenewing = keepLease(deps, `/api/v1/agent/tasks/${job.id}/renew`, job);
  try {
    const result =
      job.kind === 'test' ? await runTest(deps, job) : await deps.pipeline.inspect(job.inspect, job.runtime);
    outcome = { ok: true, result };
  } catch (err) {
    outcome = { ok: false, ...describe(err, deps.redactor) };
    deps.logger.info({ task: job.id, kind: job.kind }, `task failed: ${String(outcome['message'])}`);
  } finally {
    stopRenewing();
  }
  const body = { protocol: AGENT_PROTOCOL, leaseId: job.leaseId, outcome };
  for (let attempt = 0; ; attempt++) {
    try {
      await deps.transport.call(TaskCompleteResponse, 'POST', `/api/v1/agent/tasks/${job.id}/complete`, body);
      return;
    } catch (err) {
      // The caller stopped waiting (409): nobody needs the answer any more.
      if (err instanceof ConflictError) {
        deps.logger.info({ task: job.id }, err.message);
        return;
      }
      const transient = isAppError(err) && (err.kind === 'unreachable' || err.kind === 'unavailable');
      if (!transient || attempt >= 5) throw err;
      await sleep(backoffMs(attempt));
    }
  }
}

async function runTest(deps: TaskJobDeps, job: TestTask): Promise<IntegrationTestResult> {
  const spec = parseInput(
    IntegrationV1alpha1.shape.spec,
    { type: job.test.type, [sectionKey(job.test.type)]: job.test.section },
    'test task settings',
  );
  const h = handlerFor(spec.type);
  const unseal = opener(deps, job.test.name, job.runtime, spec);
  const settings = await h.merge(sectionOf(spec), undefined, unseal);
  // This agent's own --allow-endpoint applies too: the secret goes nowhere it does not allow.
  assertSectionEndpoints(h.section, settings, deps.endpoints);
  const runtime = deps.snapshot.snapshot().runtimes.get(job.runtime) ?? {
    metadata: { name: job.runtime },
    spec: { type: 'hybrid' as const },
  };
  return h.test(settings, runtime as Parameters<typeof h.test>[1], await deps.executor());
}

/** Opens a secret with this runtime's key, only if it is bound to this integration, field and destinations. */
function opener(deps: TaskJobDeps, name: string, runtime: string, spec: IntegrationSpec) {
  return async (value: SealedValue): Promise<string> =>
    openStoredSecret(value, {
      keys: [await deps.keys.get(runtime)],
      stored: { name, spec },
      redactor: deps.redactor,
      reenterHint: 'Run the test again from the control plane.',
      notSealed: () =>
        new ConflictError(
          `The secret of the test of "${name}" is not sealed for runtime "${runtime}"'s key (the control plane pinned another recipient).`,
          { hints: [`Register this agent again: imagetrail runtime token ${runtime}`] },
        ),
    });
}

function sectionKey(type: string): string {
  return definitionOf(type)?.section ?? type;
}

/** The task's failure as the control plane reports it: classified as every remote failure is, with its kind. */
function describe(err: unknown, redactor: Redactor): { message: string; errorClass: string; kind: string } {
  const f = classifyRemoteFailure(err, redactor);
  return {
    message: f.message.slice(0, 4000),
    errorClass: f.errorClass,
    kind: isAppError(err) ? err.kind : 'unavailable',
  };
}
