import { isAppError } from '../../domain/errors.js';
import type { RuntimeType } from '../../config-repo/kinds/runtime-v1alpha1.js';
import type { Redactor } from '../../logging/redactor.js';

/**
 * The result of a connection test, whatever the type: the shape ECR's probe has always answered, so the
 * API, the CLI's `--json` and the dashboard read every type alike.
 */
export interface IntegrationCheck {
  name: string;
  ok: boolean;
  message: string;
  /** A stable word for what went wrong (`authentication`, `not-allowed`, `unreachable`, …). */
  errorClass?: string;
  hints?: string[];
  durationMs?: number;
  /** Not run: an earlier check it depends on failed (ok=false), or it does not apply (ok=true). */
  skipped?: boolean;
}

export interface IntegrationTestResult {
  ok: boolean;
  runtime: { name: string; type: RuntimeType };
  checks: IntegrationCheck[];
  /** Who the credentials act as: ECR `{ arn, account, userId }`, GitHub `{ login }`, Jira `{ displayName }`. */
  identity?: object;
}

/** What an HTTP-token probe needs from the runtime that runs it. */
export interface TokenProbeContext {
  runtime: { name: string; type: RuntimeType };
  redactor: Redactor;
  requestTimeoutMs?: number;
  fetch?: typeof globalThis.fetch;
}

/**
 * Runs one check: a thrown AppError becomes a failed check with the error's hints (credentials, network and
 * peer failures are results, not exceptions); anything else is a bug and propagates.
 */
export async function runCheck<T>(
  name: string,
  redactor: Redactor,
  fn: () => Promise<{ value: T; message: string; hints?: string[] }>,
): Promise<{ check: IntegrationCheck; value?: T }> {
  const started = Date.now();
  try {
    const { value, message, hints } = await fn();
    return {
      check: {
        name,
        ok: true,
        message,
        ...(hints?.length ? { hints } : {}),
        durationMs: Date.now() - started,
      },
      value,
    };
  } catch (err) {
    if (!isAppError(err)) throw err;
    return {
      check: {
        name,
        ok: false,
        message: redactor.redact(err.message),
        errorClass: errorClassOf(err),
        ...(err.hints.length ? { hints: err.hints.map((h) => redactor.redact(h)) } : {}),
        durationMs: Date.now() - started,
      },
    };
  }
}

function errorClassOf(err: { name: string; kind: string }): string {
  // Rate limits and timeouts are subclasses of UnavailableError; name them, they call for different fixes.
  if (err.name === 'RateLimitedError') return 'throttled';
  if (err.name === 'PeerTimeoutError') return 'timeout';
  return err.kind;
}
