import { backoffMs as policyBackoffMs, type Backoff } from '../domain/retry.js';

/** The agent's calls to the control plane: jitter (half to full) so many agents do not reconnect in step. */
const AGENT_BACKOFF: Backoff = { baseMs: 250, maxMs: 15_000, jitter: 'equal' };

/**
 * The wait before retry number `attempt` (0 = the first) of an agent's call to the control plane; a caller
 * with a shorter budget (delivering a finished result) may lower the cap.
 */
export function backoffMs(attempt: number, maxMs = AGENT_BACKOFF.maxMs): number {
  return policyBackoffMs({ ...AGENT_BACKOFF, maxMs }, attempt);
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done);
  });
}
