import { AppError, PayloadTooLargeError, UnavailableError } from '../../../domain/errors.js';
import { backoffMs, parseRetryAfter, type Backoff } from '../../../domain/retry.js';
import type { Redactor } from '../../../logging/redactor.js';
import { classifyTransport, httpError, transportError, type Subject } from './http-errors.js';
import type { Transport, TransportResponse } from './transport.js';

export type CallKind = 'ping' | 'manifest' | 'manifest-head' | 'blob' | 'tags' | 'referrers' | 'token';

/** HTTP requests sent by one client (every attempt, redirect hop and token fetch counts). */
export interface RegistryCallStats {
  requests: number;
  byKind: Partial<Record<CallKind, number>>;
}

/** One logical registry call, before retries, redirects and authentication. */
export interface Op {
  kind: CallKind;
  method: 'GET' | 'HEAD';
  url: string;
  accept?: string;
  /** Bearer scope this request needs; undefined for `/v2/`. */
  scope?: string;
  maxBytes: number;
  /**
   * A request to a token realm: it goes with `authorization` as given (Basic credentials or nothing),
   * never with a registry credential, and a 401 is final.
   */
  tokenEndpoint?: { authorization: string | undefined };
  signal?: AbortSignal;
}

/** The final answer of one logical call, whatever its status. */
export interface Exchange {
  status: number;
  headers: TransportResponse['headers'];
  body: Uint8Array;
  url: string;
}

/** Where the credentials come from; see token-auth.ts. */
export interface Authenticator {
  readonly anonymous: boolean;
  authorization(op: Op): Promise<string | undefined>;
  /** After a 401: the `Authorization` value for one retry, or false when nothing can change. */
  refresh(op: Op, ex: Exchange): Promise<string | false>;
}

export interface HttpSettings {
  /** `${origin}${path}` without a trailing slash. */
  endpoint: string;
  origin: string;
  host: string;
  transport: Transport;
  timeoutMs: number;
  retries: number;
  backoff: Backoff;
  maxRetryAfterMs: number;
  maxRedirects: number;
  random: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  userAgent: string;
  redactor: Redactor | undefined;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Error bodies are read this far: only their first error code matters. */
export const ERROR_BODY_LIMIT = 64 * 1024;

/**
 * The transport layer of the registry client: timeouts, retries with backoff, redirects followed by hand
 * (credentials never cross origins), bounded bodies, one credential refresh after a 401, call counting.
 * Knows nothing of manifests, tags or vendors; manifests.ts, blobs.ts, tags.ts and referrers-api.ts
 * build on it.
 */
export class RegistryHttp {
  readonly stats: RegistryCallStats = { requests: 0, byKind: {} };
  readonly auth: Authenticator;

  constructor(
    readonly settings: HttpSettings,
    auth: (http: RegistryHttp) => Authenticator,
  ) {
    this.auth = auth(this);
  }

  get endpoint(): string {
    return this.settings.endpoint;
  }

  get host(): string {
    return this.settings.host;
  }

  /** A non-2xx answer as the taxonomy's error, naming what was asked for. */
  error(ex: Exchange, subject: Subject): AppError {
    const { host, retries, redactor } = this.settings;
    return httpError(ex, subject, { host, retries, redactor, anonymous: this.auth.anonymous });
  }

  /**
   * One logical call: attempts with backoff for 429/5xx/timeouts/dropped connections, and one credential
   * refresh after a 401. Returns the final answer whatever its status; callers map non-2xx to errors.
   */
  async exchange(op: Op): Promise<Exchange> {
    const { retries, maxRetryAfterMs } = this.settings;
    let refreshed = false;
    // A token minted by the refresh is used for the retry as is, whatever the provider caches.
    let fresh: string | undefined;
    for (let attempt = 0; ; attempt++) {
      let ex: Exchange;
      try {
        ex = await this.attempt(op, fresh);
      } catch (err) {
        if (err instanceof AppError) throw err;
        if (op.signal?.aborted) throw op.signal.reason ?? err;
        const failure = classifyTransport(err);
        if (failure !== 'unreachable' && attempt < retries) {
          await this.settings.sleep(this.backoffMs(attempt), op.signal);
          continue;
        }
        throw transportError(failure, op, err, attempt + 1, this.settings);
      }
      if (ex.status === 401 && !refreshed && !op.tokenEndpoint) {
        refreshed = true;
        const authorization = await this.auth.refresh(op, ex);
        if (authorization !== false) {
          fresh = authorization;
          attempt--; // the auth round trip is not a retry of a failure
          continue;
        }
      }
      if ((ex.status === 429 || (ex.status >= 500 && ex.status !== 501)) && attempt < retries) {
        const retryAfter = parseRetryAfter(ex.headers.get('retry-after'));
        if (retryAfter !== undefined && retryAfter > maxRetryAfterMs) return ex;
        await this.settings.sleep(Math.max(retryAfter ?? 0, this.backoffMs(attempt)), op.signal);
        continue;
      }
      return ex;
    }
  }

  private backoffMs(attempt: number): number {
    return backoffMs(this.settings.backoff, attempt, this.settings.random);
  }

  private count(kind: CallKind): void {
    this.stats.requests++;
    this.stats.byKind[kind] = (this.stats.byKind[kind] ?? 0) + 1;
  }

  private async attempt(op: Op, fresh: string | undefined): Promise<Exchange> {
    const { host, maxRedirects, timeoutMs, userAgent, transport } = this.settings;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = op.signal ? AbortSignal.any([op.signal, timeout]) : timeout;
    const authorization = op.tokenEndpoint
      ? op.tokenEndpoint.authorization
      : (fresh ?? (await this.auth.authorization(op)));
    const origin = new URL(op.url).origin;
    let url = op.url;
    let sendAuth = true;
    for (let hop = 0; hop <= maxRedirects; hop++) {
      const headers: Record<string, string> = { 'user-agent': userAgent };
      if (op.accept) headers['accept'] = op.accept;
      if (sendAuth && authorization) headers['authorization'] = authorization;
      this.count(op.kind);
      const res = await transport(url, { method: op.method, headers, signal });
      const location = res.headers.get('location');
      if (REDIRECTS.has(res.status) && location) {
        res.cancel();
        const next = new URL(location, url);
        if (next.protocol !== 'https:' && next.protocol !== 'http:') {
          throw new UnavailableError(`${host} redirected to an unsupported URL scheme ${next.protocol}`);
        }
        // Credentials are for the origin asked (the registry, or the token realm) only. A pre-signed S3
        // URL carries its own auth in the query string, and S3 rejects a request with two ("Only one auth
        // mechanism allowed"). Once dropped they stay dropped, even if a later hop comes back.
        if (next.origin !== origin) sendAuth = false;
        url = next.href;
        continue;
      }
      const ok = res.status >= 200 && res.status < 300;
      // A HEAD answer has no body; reading it to its end hands the connection back for reuse.
      const limit = op.method === 'HEAD' ? 0 : ok ? op.maxBytes : ERROR_BODY_LIMIT;
      let body: Uint8Array;
      try {
        body = await readBody(res, limit, !ok || op.method === 'HEAD', `${op.kind} ${host}`);
      } catch (err) {
        // A timeout while the body streams surfaces as a reset socket; say what it was.
        throw timeout.aborted && !(err instanceof AppError) ? timeout.reason : err;
      }
      return { status: res.status, headers: res.headers, body, url };
    }
    throw new UnavailableError(`${host}: more than ${maxRedirects} redirects for ${op.kind}`);
  }
}

/**
 * Reads a body up to `limit` bytes. Over the limit: a success body is refused (PayloadTooLargeError), an
 * error body is truncated (only its first error code matters).
 */
async function readBody(
  res: TransportResponse,
  limit: number,
  truncate: boolean,
  what: string,
): Promise<Uint8Array> {
  const length = res.headers.get('content-length');
  if (!truncate && length !== null && Number(length) > limit) {
    res.cancel();
    throw new PayloadTooLargeError(`${what}: the response is ${length} bytes, the limit is ${limit}`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const value of res.body) {
    if (total + value.length > limit) {
      res.cancel();
      if (truncate) {
        chunks.push(value.subarray(0, limit - total));
        total = limit;
        break;
      }
      throw new PayloadTooLargeError(`${what}: the response exceeds the limit of ${limit} bytes`);
    }
    chunks.push(value);
    total += value.length;
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

export function safeJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
  } catch {
    return undefined;
  }
}

export function sig(opts: { signal?: AbortSignal }): { signal?: AbortSignal } {
  return opts.signal ? { signal: opts.signal } : {};
}
