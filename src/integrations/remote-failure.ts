import { isAppError } from '../domain/errors.js';
import type { Redactor } from '../logging/redactor.js';
import { classifyAwsError } from './registry/ecr/errors.js';
import { isTransientClass } from './registry/ecr/codes/index.js';

// The one classification of remote failures: what failed (a class the dashboard and metrics group by), a
// message and hints a user can act on, and whether it is worth retrying. The report runner, the ECR
// enricher and ECR image lookups all decide "retry or give up" here. Adapters throw the taxonomy's
// errors (src/domain/errors.ts), whose kind says it; anything else reaching this point came out of the
// AWS SDK or a socket and goes through the AWS classifier, as in the connection test.

export interface RemoteFailure {
  errorClass: string;
  /** Redacted. */
  message: string;
  /** Redacted. */
  hints: string[];
  /** It may go away by itself: throttling, timeouts, dropped connections, faults on the remote side. */
  retryable: boolean;
}

/** A 5xx answer or an SDK error with `$fault: 'server'`: a fault on the remote side. */
export function isServerFault(err: unknown): boolean {
  const status = (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  return (err as { $fault?: string } | null)?.$fault === 'server' || (status !== undefined && status >= 500);
}

/** Whether a failure of this class, with this cause, may go away by itself. */
export function isTransientFailure(errorClass: string, cause: unknown): boolean {
  return isTransientClass(errorClass) || isServerFault(cause);
}

export function classifyRemoteFailure(
  err: unknown,
  redactor: Redactor,
  context: { action?: string } = {},
): RemoteFailure {
  if (isAppError(err)) {
    const errorClass = (err as { errorClass?: unknown }).errorClass;
    return {
      errorClass: typeof errorClass === 'string' ? errorClass : err.name,
      message: redactor.redact(err.message),
      hints: err.hints.map((h) => redactor.redact(h)),
      retryable: err.kind === 'unavailable' || err.kind === 'unreachable',
    };
  }
  const c = classifyAwsError(err, { redactor, ...context });
  return {
    errorClass: c.errorClass,
    message: c.message,
    hints: c.hints,
    retryable: isTransientFailure(c.errorClass, err),
  };
}
