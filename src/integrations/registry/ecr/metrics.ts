import type { InitializeHandlerOptions, InitializeMiddleware } from '@smithy/types';
import { errorOutcome, timedRemoteCall, type Telemetry } from '../../../domain/telemetry.js';

/**
 * Times each ECR/STS command (one logical call, retries included: it wraps the whole stack) and counts it
 * by command name and outcome. A service error's outcome is its AWS error name (`AccessDeniedException`,
 * `ThrottlingException`…): a bounded set the API defines, with no request data in it.
 */
function middleware<I extends object, O extends object>(
  telemetry: Telemetry,
  service: 'ecr' | 'sts',
): InitializeMiddleware<I, O> {
  return (next, context) => (args) =>
    timedRemoteCall(
      telemetry,
      service,
      context.commandName ?? 'unknown',
      () => next(args),
      () => 'ok',
      awsOutcome,
    );
}

function awsOutcome(err: unknown): string {
  const e = err as { name?: unknown; $metadata?: unknown; $fault?: unknown } | null;
  if (e && (e.$fault !== undefined || e.$metadata !== undefined) && typeof e.name === 'string') {
    if (e.name === 'TimeoutError') return 'timeout';
    return e.name;
  }
  return errorOutcome(err);
}

const options: InitializeHandlerOptions & { name: string } = {
  step: 'initialize',
  name: 'imagetrailCallMetrics',
};

export const awsCallMetrics = Object.assign(middleware, { options });
