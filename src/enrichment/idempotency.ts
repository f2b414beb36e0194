import { ConflictError } from '../domain/errors.js';
import { hasScope } from '../store/token-store.js';
import type { Principal } from '../store/token-store.js';

/**
 * Where an Idempotency-Key is unique: the grant that let the caller report (`report`, or `runtime:<name>`)
 * and the report's runtime. So a runtime token cannot reach a CI report (or another runtime's) by guessing
 * or pre-claiming its key: each grant has its own keys.
 */
export function idempotencyScope(principal: Principal, runtime: string): string {
  return `${hasScope(principal, 'report') ? 'report' : `runtime:${runtime}`}@${runtime}`;
}

/**
 * The key named an earlier report with other content: a reuse, not a retry. Only a caller that may read
 * reports (`report` or `admin`) is told which one.
 */
export function reusedKey(principal: Principal, earlierId: string): ConflictError {
  const readable = hasScope(principal, 'report');
  return new ConflictError(
    readable
      ? `This Idempotency-Key was already used for report ${earlierId}, with other content.`
      : 'This Idempotency-Key was already used for another report, with other content.',
    {
      hints: [
        'Send a new key for a new report (e.g. the CI build id plus the image); resend the same content to get the earlier report.',
      ],
    },
  );
}
