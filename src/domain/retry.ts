// The one retry backoff every remote client uses (the registry client, the GitHub/Jira peer client, the
// report runner and the report store's default, the agent's calls to the control plane, the deployment
// observer's Kubernetes watches and sends), and the one reading of `Retry-After`. Pure functions:
// each caller keeps its own budget (attempts, caps) and its own clock.

export interface Backoff {
  /** Delay before the first retry (before jitter). */
  baseMs: number;
  /** Cap on any one delay (before jitter). */
  maxMs: number;
  /**
   * `full`: uniform in [0, delay] ("Exponential Backoff and Jitter", AWS Architecture Blog, 2015), for
   * clients that may retry in lock-step against one peer. `none`: the delay itself, for schedules that
   * are persisted and shown (the report queue). `equal`: uniform in [delay/2, delay], for reconnect loops
   * that must not spread into near-zero waits (agents dialing the control plane).
   */
  jitter: 'full' | 'equal' | 'none';
}

/** The delay before retry number `retry` (0 = the first retry): min(max, base · 2^retry), jittered. */
export function backoffMs(policy: Backoff, retry: number, random: () => number = Math.random): number {
  const delay = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, retry));
  if (policy.jitter === 'full') return Math.round(random() * delay);
  if (policy.jitter === 'equal') return Math.round(delay / 2 + random() * (delay / 2));
  return delay;
}

/** `Retry-After` as seconds or an HTTP date (RFC 9110 §10.2.3), in ms from `now`; undefined when unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
