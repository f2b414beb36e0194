import { InputError, UnavailableError, UnreachableError } from '../../domain/errors.js';
import type { Redactor } from '../../logging/redactor.js';
import { backoffMs, parseRetryAfter, type Backoff } from '../../domain/retry.js';

/**
 * The outbound HTTP both the GitHub and the Jira clients need: a timeout on every call (headers and body),
 * a size cap on every answer, and a bounded retry when the peer says "slow down". Status codes other than
 * throttling are left to the caller, which knows what a 401 or a 404 means for its API.
 */

export type Fetch = typeof globalThis.fetch;

export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  maxAttempts: number;
  /**
   * Longest wait before one retry. A peer asking for longer (GitHub's hourly quota resetting in 40 min) is
   * not waited for at all: the call fails at once with the time the limit resets, rather than holding a
   * job for most of an hour or retrying early into the same refusal.
   */
  maxWaitMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, maxWaitMs: 30_000 };
export const DEFAULT_TIMEOUT_MS = 10_000;
/** Issue and commit payloads are a few KB; anything near this is not what we asked for. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface PeerHttpOptions {
  /** Names the peer in messages: "GitHub", "Jira". */
  service: string;
  fetch: Fetch;
  timeoutMs: number;
  retry: RetryPolicy;
  redactor: Redactor;
  /**
   * Says whether an answer is the peer throttling us, and how long it asked us to wait (undefined: it did
   * not say). Each API signals it differently (GitHub: 403 + `x-ratelimit-remaining: 0`).
   */
  throttle: (res: PeerResponse, nowMs: number) => { waitMs: number | undefined } | undefined;
  /** Injected so tests can observe waits; real code sleeps. */
  sleep?: (ms: number) => Promise<void>;
}

export interface PeerResponse {
  status: number;
  headers: Headers;
  text: string;
  url: string;
}

/** The peer kept throttling after the allowed retries, or asked for a longer wait than we allow. */
export class RateLimitedError extends UnavailableError {
  constructor(
    message: string,
    /** When the peer said it would accept calls again, if it said. */
    readonly retryAt: Date | undefined,
    options: { cause?: unknown; hints?: string[] } = {},
  ) {
    super(message, options);
  }
}

/** No complete answer within the timeout. */
export class PeerTimeoutError extends UnavailableError {}

/** 5xx answers worth one more try: gateways and overload, not application bugs (500). */
const TRANSIENT = new Set([502, 503, 504]);

/** Without a `Retry-After`, retries wait 500 ms, 1 s, 2 s …, capped by the policy's `maxWaitMs`. */
const PEER_BACKOFF: Backoff = { baseMs: 500, maxMs: Number.POSITIVE_INFINITY, jitter: 'none' };

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * GETs `url`, retrying throttled and transient answers within the policy. Returns every other answer,
 * whatever its status, for the caller to classify. Throws typed errors for timeouts, unreachable peers
 * and exhausted retries; messages pass through the redactor.
 */
export async function getWithRetry(
  url: URL,
  headers: Record<string, string>,
  what: string,
  opts: PeerHttpOptions,
): Promise<PeerResponse> {
  // Credentials travel in headers only; a URL with them would end up in logs and proxies.
  if (url.username || url.password)
    throw new InputError(`${opts.service} URLs must not contain credentials.`);
  const sleep = opts.sleep ?? defaultSleep;
  const attempts = Math.max(1, opts.retry.maxAttempts);
  let last: PeerResponse | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const res = await getOnce(url, headers, what, opts);
    const now = Date.now();
    const throttled = opts.throttle(res, now);
    const transient = !throttled && TRANSIENT.has(res.status);
    if (!throttled && !transient) return res;
    last = res;

    const asked = throttled?.waitMs ?? retryAfterMs(res.headers, now);
    if (asked !== undefined && asked > opts.retry.maxWaitMs) {
      throw exhausted(res, what, opts, attempt, new Date(now + asked));
    }
    if (attempt === attempts) break;
    // Without a hint, back off exponentially from 500 ms; either way never beyond the cap.
    await sleep(Math.min(asked ?? backoffMs(PEER_BACKOFF, attempt - 1), opts.retry.maxWaitMs));
  }
  // `last` is set: the loop only falls through after at least one throttled or transient answer.
  const final = last as PeerResponse;
  const ra = retryAfterMs(final.headers, Date.now());
  throw exhausted(final, what, opts, attempts, ra === undefined ? undefined : new Date(Date.now() + ra));
}

function exhausted(
  res: PeerResponse,
  what: string,
  opts: PeerHttpOptions,
  attempts: number,
  retryAt: Date | undefined,
): Error {
  const r = opts.redactor;
  const until = retryAt ? ` until ${retryAt.toISOString()}` : '';
  const tries = attempts === 1 ? 'once' : `${attempts} times`;
  if (opts.throttle(res, Date.now())) {
    return new RateLimitedError(
      r.redact(
        `${opts.service} is rate-limiting requests${until} (HTTP ${res.status}) while reading ${what}; tried ${tries}.`,
      ),
      retryAt,
      {
        hints: [
          `Retry after the limit resets; lower the report rate, or use credentials with a higher ${opts.service} quota.`,
        ],
      },
    );
  }
  return new UnavailableError(
    r.redact(`${opts.service} answered HTTP ${res.status} while reading ${what}; tried ${tries}.`),
    { hints: [`Check the status of ${opts.service} (${new URL(res.url).origin}) and retry later.`] },
  );
}

async function getOnce(
  url: URL,
  headers: Record<string, string>,
  what: string,
  opts: PeerHttpOptions,
): Promise<PeerResponse> {
  const r = opts.redactor;
  // One signal covers connect, headers and body: a peer that trickles its body must not hang a job.
  const signal = AbortSignal.timeout(opts.timeoutMs);
  try {
    const res = await opts.fetch(url, { method: 'GET', headers, signal, redirect: 'follow' });
    const text = await readCapped(res, MAX_BODY_BYTES);
    return { status: res.status, headers: res.headers, text, url: url.href };
  } catch (err) {
    if (err instanceof UnavailableError) throw err;
    if (isTimeout(err) || signal.aborted) {
      throw new PeerTimeoutError(
        r.redact(
          `${opts.service} did not answer within ${opts.timeoutMs} ms while reading ${what} (${url.origin}).`,
        ),
        { cause: err, hints: [`Check that this server can reach ${url.origin} (proxy, firewall, DNS).`] },
      );
    }
    throw new UnreachableError(
      r.redact(`Cannot reach ${opts.service} at ${url.origin} while reading ${what}: ${describe(err)}`),
      {
        cause: err,
        hints: [
          `Check the ${opts.service} URL and that this server can reach it (proxy, firewall, DNS, TLS).`,
        ],
      },
    );
  }
}

async function readCapped(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new UnavailableError(
        `The answer from ${new URL(res.url || 'http://peer').origin} is larger than ${max} bytes.`,
      );
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `Retry-After` as seconds or an HTTP date (RFC 9110 §10.2.3), in ms from now. */
export function retryAfterMs(headers: Headers, nowMs: number): number | undefined {
  return parseRetryAfter(headers.get('retry-after'), nowMs);
}

function isTimeout(err: unknown): boolean {
  for (
    let e: unknown = err, i = 0;
    e && typeof e === 'object' && i < 5;
    e = (e as { cause?: unknown }).cause, i++
  ) {
    const name = (e as { name?: unknown }).name;
    const code = (e as { code?: unknown }).code;
    if (name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
      return true;
  }
  return false;
}

/** fetch says only "fetch failed"; the socket error with the useful code is in `cause`. */
function describe(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, i = 0; e && i < 4; i++) {
    if (e instanceof Error) {
      const code = (e as { code?: unknown }).code;
      parts.push(typeof code === 'string' ? `${e.message} (${code})` : e.message);
      e = e.cause;
    } else {
      parts.push(typeof e === 'string' ? e : JSON.stringify(e));
      break;
    }
  }
  return parts.join(': ');
}

/** A message from a peer's JSON error body, if it has one in one of the usual places. */
export function peerMessage(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object') {
      const o = body as Record<string, unknown>;
      if (typeof o['message'] === 'string') return o['message'];
      const msgs = o['errorMessages'];
      if (Array.isArray(msgs) && msgs.length > 0) return msgs.map(String).join(' ');
      const errs = o['errors'];
      if (errs && typeof errs === 'object' && !Array.isArray(errs)) {
        const vals = Object.values(errs).map(String);
        if (vals.length > 0) return vals.join(' ');
      }
    }
  } catch {
    // Not JSON (an HTML error page from a proxy): the status alone has to do.
  }
  return undefined;
}
