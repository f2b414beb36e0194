import { createHash, randomUUID } from 'node:crypto';
import { DEFAULT_MAX_TAG_LIST_BYTES, TagPages } from './tag-pages.js';
import { setTimeout as sleepFor } from 'node:timers/promises';
import * as z from 'zod/mini';
import {
  AppError,
  AuthenticationError,
  InputError,
  NotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  UnavailableError,
} from '../../../domain/errors.js';
import type { Redactor } from '../../../logging/redactor.js';
import { basicHeader, BearerTokenResponse, parseChallenge, pullScope, type RegistryAuth } from './auth.js';
import {
  DigestMismatchError,
  RegistryConnectionError,
  RegistryServerError,
  RegistryThrottledError,
  RegistryTimeoutError,
  RegistryUnreachableError,
} from './errors.js';
import { isDigest, parseDigest } from './reference.js';
import {
  fetchTransport,
  nodeTransport,
  type FetchLike,
  type Transport,
  type TransportResponse,
} from './transport.js';
import {
  MANIFEST_MEDIA_TYPES,
  MediaType,
  type OciIndex,
  parseManifest,
  RegistryErrorBody,
  type Manifest,
} from './schema.js';

export type { FetchLike } from './transport.js';

export type CallKind = 'ping' | 'manifest' | 'manifest-head' | 'blob' | 'tags' | 'referrers' | 'token';

/** HTTP requests sent by one client (every attempt, redirect hop and token fetch counts). */
export interface RegistryCallStats {
  requests: number;
  byKind: Partial<Record<CallKind, number>>;
}

export interface RegistryClientOptions {
  /** Base URL of the registry API, e.g. `https://123456789012.dkr.ecr.eu-west-1.amazonaws.com`. */
  endpoint: string;
  auth: RegistryAuth;
  /** Answers scripted by a fetch-shaped function (tests), or a given transport; default: node:http. */
  fetch?: FetchLike;
  transport?: Transport;
  /** Tokens and passwords are registered here as soon as the client holds them. */
  redactor?: Redactor;
  /** Per attempt, covering connect, headers, redirects and the body. Default 15 s. */
  timeoutMs?: number;
  /** Extra attempts after the first for 429, 5xx, timeouts and dropped connections. Default 3. */
  retries?: number;
  backoff?: { baseMs?: number; maxMs?: number; maxRetryAfterMs?: number };
  /** Default 4 MiB (distribution's own limit is 4 MiB). */
  maxManifestBytes?: number;
  /** Default cap for `getBlob` when the call gives none. Default 16 MiB. */
  maxBlobBytes?: number;
  maxRedirects?: number;
  /** Bytes of tag-list JSON read per listing, all pages together. Default 16 MiB. */
  maxTagListBytes?: number;
  /** Upper bound on tag pages followed through `Link`. Default 100. */
  maxTagPages?: number;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  userAgent?: string;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface ManifestResult {
  /** sha256 of `bytes` (or the requested digest, verified, when fetched by digest). */
  digest: string;
  mediaType: string;
  size: number;
  /** The exact bytes the registry sent; the digest covers these, not a re-serialisation. */
  bytes: Uint8Array;
  manifest: Manifest;
}

export interface ManifestHead {
  digest?: string;
  mediaType?: string;
  size?: number;
}

export type ReferrersApiResult = { supported: true; index: OciIndex } | { supported: false };

interface Op {
  kind: CallKind;
  method: 'GET' | 'HEAD';
  url: string;
  accept?: string;
  /** Bearer scope this request needs; undefined for `/v2/`. */
  scope?: string;
  maxBytes: number;
  /** Token-endpoint requests carry Basic credentials only, never a bearer token. */
  tokenEndpoint?: boolean;
  signal?: AbortSignal;
}

interface Exchange {
  status: number;
  headers: TransportResponse['headers'];
  body: Uint8Array;
  url: string;
}

interface Subject {
  repository?: string;
  reference?: string;
  /** "Manifest", "Blob", "Tags of"… for messages. */
  noun: string;
}

type TransportFailure = 'timeout' | 'reset' | 'unreachable';

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const ERROR_BODY_LIMIT = 64 * 1024;
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);
const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

const TagList = z.object({ tags: z.nullish(z.array(z.string())) });

function sha(bytes: Uint8Array, algorithm: 'sha256' | 'sha512' = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** Verifies `bytes` against `digest` with the digest's own algorithm. */
function matchesDigest(bytes: Uint8Array, digest: string): boolean {
  const algorithm = digest.startsWith('sha512:') ? 'sha512' : 'sha256';
  return sha(bytes, algorithm) === digest;
}

function validateRepository(repository: string): void {
  if (!REPOSITORY.test(repository) || repository.length > 255) {
    throw new InputError(
      `Invalid repository name ${JSON.stringify(repository)}: lowercase path components of letters and digits separated by ".", "_", "__", "-" or "/"`,
    );
  }
}

function validateReference(reference: string): void {
  if (reference.includes(':')) parseDigest(reference);
  else if (!TAG.test(reference)) throw new InputError(`Invalid tag ${JSON.stringify(reference)}`);
}

/** Seconds or an HTTP date, per RFC 9110; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function classifyTransport(err: unknown): TransportFailure {
  let cur: unknown = err;
  for (let i = 0; i < 6 && cur && typeof cur === 'object'; i++) {
    const e = cur as { name?: unknown; code?: unknown; cause?: unknown };
    if (e.name === 'TimeoutError') return 'timeout';
    if (typeof e.code === 'string') {
      if (UNREACHABLE_CODES.has(e.code)) return 'unreachable';
      if (TIMEOUT_CODES.has(e.code)) return 'timeout';
    }
    cur = e.cause;
  }
  // ECONNRESET, "other side closed", "terminated" mid-body and anything unrecognised: the connection
  // broke, which a fresh attempt may fix.
  return 'reset';
}

function firstErrorCode(body: Uint8Array): { code?: string; message?: string; json: boolean } {
  if (body.length === 0) return { json: false };
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return { json: false };
  }
  const r = RegistryErrorBody.safeParse(parsed);
  if (!r.success || r.data.errors.length === 0) return { json: true };
  const first = r.data.errors[0];
  return { code: first?.code, message: first?.message, json: true };
}

/**
 * A Registry HTTP API v2 client for one endpoint and one set of credentials. Holds its token cache and
 * call counters, so create one per (endpoint, credentials) and reuse it; it has no global state.
 */
export class RegistryClient {
  readonly endpoint: string;
  /** Unique per instance: content caches key on it so two credentials never share what one may read. */
  readonly id = randomUUID();
  readonly stats: RegistryCallStats = { requests: 0, byKind: {} };
  private readonly origin: string;
  private readonly host: string;
  private readonly transport: Transport;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly maxManifestBytes: number;
  private readonly maxBlobBytes: number;
  private readonly maxRedirects: number;
  private readonly maxTagPages: number;
  private readonly maxTagListBytes: number;
  private readonly random: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly userAgent: string;
  /** Set once the registry has answered with a Bearer challenge: then every request goes with a token. */
  private bearer: { realm: string; service?: string } | undefined;
  private readonly bearerTokens = new Map<string, { token: string; expiresAt: number }>();

  constructor(private readonly options: RegistryClientOptions) {
    let url: URL;
    try {
      url = new URL(options.endpoint);
    } catch (err) {
      throw new InputError(`Invalid registry endpoint ${JSON.stringify(options.endpoint)}`, { cause: err });
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new InputError(`Registry endpoint ${JSON.stringify(options.endpoint)} must be http(s)`);
    }
    if (url.username || url.password) {
      throw new InputError('Registry endpoint must not carry credentials in the URL');
    }
    this.origin = url.origin;
    this.host = url.host;
    this.endpoint = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    this.transport = options.transport ?? (options.fetch ? fetchTransport(options.fetch) : nodeTransport());
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.retries = options.retries ?? 3;
    this.baseMs = options.backoff?.baseMs ?? 250;
    this.maxMs = options.backoff?.maxMs ?? 8_000;
    this.maxRetryAfterMs = options.backoff?.maxRetryAfterMs ?? 30_000;
    this.maxManifestBytes = options.maxManifestBytes ?? 4 * 1024 * 1024;
    this.maxBlobBytes = options.maxBlobBytes ?? 16 * 1024 * 1024;
    this.maxRedirects = options.maxRedirects ?? 5;
    this.maxTagPages = options.maxTagPages ?? 100;
    this.maxTagListBytes = options.maxTagListBytes ?? DEFAULT_MAX_TAG_LIST_BYTES;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? ((ms, signal) => sleepFor(ms, undefined, signal ? { signal } : {}));
    this.userAgent = options.userAgent ?? 'imagetrail';
    if (options.auth.kind === 'basic') options.redactor?.register(options.auth.password);
  }

  /** `GET /v2/`: the endpoint speaks the registry API and accepts the credentials. */
  async ping(opts: CallOptions = {}): Promise<{ apiVersion?: string }> {
    const ex = await this.exchange({
      kind: 'ping',
      method: 'GET',
      url: `${this.endpoint}/v2/`,
      maxBytes: ERROR_BODY_LIMIT,
      ...sig(opts),
    });
    if (ex.status !== 200) throw this.httpError(ex, { noun: 'Registry API' });
    const apiVersion = ex.headers.get('docker-distribution-api-version') ?? undefined;
    return apiVersion === undefined ? {} : { apiVersion };
  }

  async getManifest(
    repository: string,
    reference: string,
    opts: CallOptions & { accept?: readonly string[] } = {},
  ): Promise<ManifestResult> {
    validateRepository(repository);
    validateReference(reference);
    const ex = await this.exchange({
      kind: 'manifest',
      method: 'GET',
      url: `${this.endpoint}/v2/${repository}/manifests/${reference}`,
      accept: (opts.accept ?? MANIFEST_MEDIA_TYPES).join(', '),
      scope: pullScope(repository),
      maxBytes: this.maxManifestBytes,
      ...sig(opts),
    });
    const subject = { repository, reference, noun: 'Manifest' };
    if (ex.status !== 200) throw this.httpError(ex, subject);
    const bytes = ex.body;
    const computed = sha(bytes);
    const where = `${this.host}/${repository}@${reference}`;
    if (isDigest(reference) && !matchesDigest(bytes, reference)) {
      throw new DigestMismatchError(
        `Manifest ${where}: the registry sent bytes that do not hash to the requested digest`,
      );
    }
    const announced = ex.headers.get('docker-content-digest');
    if (announced && isDigest(announced) && !matchesDigest(bytes, announced)) {
      throw new DigestMismatchError(
        `Manifest ${where}: Docker-Content-Digest ${announced} does not match the bytes received (${computed})`,
      );
    }
    const manifest = parseManifest(bytes, ex.headers.get('content-type') ?? undefined);
    return {
      digest: isDigest(reference) ? reference : computed,
      mediaType: manifest.mediaType,
      size: bytes.length,
      bytes,
      manifest,
    };
  }

  /** `HEAD` a manifest: digest, media type and size without the body (one call, no download). */
  async headManifest(
    repository: string,
    reference: string,
    opts: CallOptions & { accept?: readonly string[] } = {},
  ): Promise<ManifestHead> {
    validateRepository(repository);
    validateReference(reference);
    const ex = await this.exchange({
      kind: 'manifest-head',
      method: 'HEAD',
      url: `${this.endpoint}/v2/${repository}/manifests/${reference}`,
      accept: (opts.accept ?? MANIFEST_MEDIA_TYPES).join(', '),
      scope: pullScope(repository),
      maxBytes: 0,
      ...sig(opts),
    });
    if (ex.status !== 200) throw this.httpError(ex, { repository, reference, noun: 'Manifest' });
    const out: ManifestHead = {};
    const digest = ex.headers.get('docker-content-digest');
    if (digest && isDigest(digest)) out.digest = digest;
    const type = ex.headers.get('content-type')?.split(';')[0]?.trim();
    if (type) out.mediaType = type;
    const declared = ex.headers.get('content-length');
    const length = Number(declared);
    if (declared !== null && Number.isSafeInteger(length) && length >= 0) out.size = length;
    return out;
  }

  /** A blob, verified against its digest. ECR answers with a 307 to S3, followed without credentials. */
  async getBlob(
    repository: string,
    digest: string,
    opts: CallOptions & { maxBytes?: number } = {},
  ): Promise<Uint8Array> {
    validateRepository(repository);
    parseDigest(digest);
    const ex = await this.exchange({
      kind: 'blob',
      method: 'GET',
      url: `${this.endpoint}/v2/${repository}/blobs/${digest}`,
      scope: pullScope(repository),
      maxBytes: opts.maxBytes ?? this.maxBlobBytes,
      ...sig(opts),
    });
    if (ex.status !== 200) throw this.httpError(ex, { repository, reference: digest, noun: 'Blob' });
    if (!matchesDigest(ex.body, digest)) {
      throw new DigestMismatchError(
        `Blob ${this.host}/${repository}@${digest}: the bytes received do not hash to the digest`,
      );
    }
    return ex.body;
  }

  /** All tags, following `Link: <…>; rel="next"` pages up to `maxTagPages`. */
  async listTags(repository: string, opts: CallOptions & { pageSize?: number } = {}): Promise<string[]> {
    validateRepository(repository);
    const what = `Tags of ${this.host}/${repository}`;
    const pages = new TagPages(what, this.origin, this.maxTagListBytes);
    let url: string | undefined =
      `${this.endpoint}/v2/${repository}/tags/list${opts.pageSize ? `?n=${opts.pageSize}` : ''}`;
    for (let page = 0; url !== undefined; page++) {
      if (page >= this.maxTagPages)
        throw new PayloadTooLargeError(`${what}: more than ${this.maxTagPages} pages`);
      const ex: Exchange = await this.exchange({
        kind: 'tags',
        method: 'GET',
        url,
        accept: 'application/json',
        scope: pullScope(repository),
        maxBytes: pages.limit(this.maxManifestBytes),
        ...sig(opts),
      });
      if (ex.status !== 200) throw this.httpError(ex, { repository, noun: 'Tags of' });
      const parsed = TagList.safeParse(safeJson(ex.body));
      if (!parsed.success) throw new UnavailableError(`${what}: the registry sent an unreadable tag list`);
      pages.add(ex.body.byteLength, parsed.data.tags ?? []);
      url = pages.next(nextLink(ex.headers.get('link'), ex.url));
    }
    return pages.tags;
  }

  /**
   * OCI 1.1 `GET /v2/<name>/referrers/<digest>`. `supported: false` when the registry has no such API
   * (distribution 2.8 answers a plain-text 404; others 400/404/405): the caller falls back to the tag schema.
   */
  async getReferrersIndex(
    repository: string,
    digest: string,
    opts: CallOptions & { artifactType?: string } = {},
  ): Promise<ReferrersApiResult> {
    validateRepository(repository);
    parseDigest(digest);
    const query = opts.artifactType ? `?artifactType=${encodeURIComponent(opts.artifactType)}` : '';
    const ex = await this.exchange({
      kind: 'referrers',
      method: 'GET',
      url: `${this.endpoint}/v2/${repository}/referrers/${digest}${query}`,
      accept: MediaType.OciIndex,
      scope: pullScope(repository),
      maxBytes: this.maxManifestBytes,
      ...sig(opts),
    });
    if (ex.status === 404 || ex.status === 400 || ex.status === 405) {
      // A registry implementing the API answers 200 with an empty index even for an unknown subject, so any
      // 404 here means "no API" — except a JSON NAME_UNKNOWN, which means the repository is missing.
      const { code } = firstErrorCode(ex.body);
      if (code === 'NAME_UNKNOWN')
        throw this.httpError(ex, { repository, reference: digest, noun: 'Referrers of' });
      return { supported: false };
    }
    if (ex.status !== 200) throw this.httpError(ex, { repository, reference: digest, noun: 'Referrers of' });
    const manifest = parseManifest(ex.body, ex.headers.get('content-type') ?? MediaType.OciIndex);
    if (manifest.mediaType !== MediaType.OciIndex) return { supported: false };
    return { supported: true, index: manifest };
  }

  // ---------------------------------------------------------------------------------------------------

  private count(kind: CallKind): void {
    this.stats.requests++;
    this.stats.byKind[kind] = (this.stats.byKind[kind] ?? 0) + 1;
  }

  /**
   * One logical call: attempts with backoff for 429/5xx/timeouts/dropped connections, and one credential
   * refresh after a 401. Returns the final answer whatever its status; callers map non-2xx to errors.
   */
  private async exchange(op: Op): Promise<Exchange> {
    let refreshed = false;
    // A token minted by the refresh is used for the retry as is, whatever the provider caches.
    let freshAuthorization: string | undefined;
    for (let attempt = 0; ; attempt++) {
      let ex: Exchange;
      try {
        ex = await this.attempt(op, freshAuthorization);
      } catch (err) {
        if (err instanceof AppError) throw err;
        if (op.signal?.aborted) throw op.signal.reason ?? err;
        const failure = classifyTransport(err);
        if (failure !== 'unreachable' && attempt < this.retries) {
          await this.sleep(this.backoffMs(attempt), op.signal);
          continue;
        }
        throw this.transportError(failure, op, err, attempt + 1);
      }
      if (ex.status === 401 && !refreshed && !op.tokenEndpoint) {
        refreshed = true;
        const fresh = await this.refreshAuth(op, ex);
        if (fresh !== false) {
          freshAuthorization = fresh;
          attempt--; // the auth round trip is not a retry of a failure
          continue;
        }
      }
      if ((ex.status === 429 || (ex.status >= 500 && ex.status !== 501)) && attempt < this.retries) {
        const retryAfter = parseRetryAfter(ex.headers.get('retry-after'));
        if (retryAfter !== undefined && retryAfter > this.maxRetryAfterMs) return ex;
        await this.sleep(Math.max(retryAfter ?? 0, this.backoffMs(attempt)), op.signal);
        continue;
      }
      return ex;
    }
  }

  /** Full jitter (AWS architecture blog): uniform in [0, min(max, base·2^attempt)]. */
  private backoffMs(attempt: number): number {
    return Math.round(this.random() * Math.min(this.maxMs, this.baseMs * 2 ** attempt));
  }

  private async attempt(op: Op, freshAuthorization: string | undefined): Promise<Exchange> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = op.signal ? AbortSignal.any([op.signal, timeout]) : timeout;
    const authorization = freshAuthorization ?? (await this.authorizationFor(op));
    let url = op.url;
    let sendAuth = true;
    for (let hop = 0; hop <= this.maxRedirects; hop++) {
      const headers: Record<string, string> = { 'user-agent': this.userAgent };
      if (op.accept) headers['accept'] = op.accept;
      if (sendAuth && authorization) headers['authorization'] = authorization;
      this.count(op.kind);
      const res = await this.transport(url, { method: op.method, headers, signal });
      const location = res.headers.get('location');
      if (REDIRECTS.has(res.status) && location) {
        res.cancel();
        const next = new URL(location, url);
        if (next.protocol !== 'https:' && next.protocol !== 'http:') {
          throw new UnavailableError(`${this.host} redirected to an unsupported URL scheme ${next.protocol}`);
        }
        // Credentials are for the registry only. A pre-signed S3 URL carries its own auth in the query
        // string, and S3 rejects a request with two ("Only one auth mechanism allowed"). Once dropped they
        // stay dropped, even if a later hop comes back to the registry host.
        if (next.origin !== this.origin) sendAuth = false;
        url = next.href;
        continue;
      }
      const ok = res.status >= 200 && res.status < 300;
      // A HEAD answer has no body; reading it to its end hands the connection back for reuse.
      const limit = op.method === 'HEAD' ? 0 : ok ? op.maxBytes : ERROR_BODY_LIMIT;
      let body: Uint8Array;
      try {
        body = await readBody(res, limit, !ok || op.method === 'HEAD', `${op.kind} ${this.host}`);
      } catch (err) {
        // A timeout while the body streams surfaces as a reset socket; say what it was.
        throw timeout.aborted && !(err instanceof AppError) ? timeout.reason : err;
      }
      return { status: res.status, headers: res.headers, body, url };
    }
    throw new UnavailableError(`${this.host}: more than ${this.maxRedirects} redirects for ${op.kind}`);
  }

  private async authorizationFor(op: Op): Promise<string | undefined> {
    const auth = this.options.auth;
    if (op.tokenEndpoint)
      return auth.kind === 'basic' ? basicHeader(auth.username, auth.password) : undefined;
    if (this.bearer) {
      const token = await this.bearerToken(op.scope ?? '', false, op.signal);
      return `Bearer ${token}`;
    }
    if (auth.kind === 'basic') return basicHeader(auth.username, auth.password);
    if (auth.kind === 'ecr') return `Basic ${await this.ecrToken(false)}`;
    return undefined;
  }

  private async ecrToken(refresh: boolean): Promise<string> {
    if (this.options.auth.kind !== 'ecr') throw new Error('not ECR auth');
    let token: string;
    try {
      token = await this.options.auth.getToken(refresh);
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw new AuthenticationError(`Could not get a registry token for ${this.host}`, { cause: err });
    }
    this.options.redactor?.register(token);
    // The token is base64("AWS:<password>"); the password alone must not leak either.
    this.options.redactor?.register(
      Buffer.from(token, 'base64').toString('utf8').split(':').slice(1).join(':'),
    );
    return token;
  }

  /**
   * After a 401: learn a Bearer challenge and fetch a token, or mint a fresh ECR token. Returns the
   * Authorization value for the one retry, or false when there is nothing to refresh (static Basic).
   */
  private async refreshAuth(op: Op, ex: Exchange): Promise<string | false> {
    const challenge = parseChallenge(ex.headers.get('www-authenticate'));
    if (challenge?.scheme === 'bearer' && challenge.params['realm']) {
      const realm = this.checkRealm(challenge.params['realm']);
      this.bearer = challenge.params['service'] ? { realm, service: challenge.params['service'] } : { realm };
      return `Bearer ${await this.bearerToken(challenge.params['scope'] ?? op.scope ?? '', true, op.signal)}`;
    }
    if (this.options.auth.kind === 'ecr') return `Basic ${await this.ecrToken(true)}`;
    return false;
  }

  private checkRealm(realm: string): string {
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new AuthenticationError(`${this.host} sent an unreadable token realm ${JSON.stringify(realm)}`);
    }
    // Credentials go to the realm: never over plain HTTP unless the registry itself is plain HTTP.
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.origin.startsWith('http:'))) {
      throw new AuthenticationError(`${this.host} asks for tokens from ${url.origin}, which is not HTTPS`);
    }
    return url.href;
  }

  private async bearerToken(scope: string, force: boolean, signal: AbortSignal | undefined): Promise<string> {
    const cached = this.bearerTokens.get(scope);
    if (!force && cached && cached.expiresAt > Date.now()) return cached.token;
    if (!this.bearer) throw new Error('bearer realm unknown');
    const url = new URL(this.bearer.realm);
    if (this.bearer.service) url.searchParams.set('service', this.bearer.service);
    if (scope) url.searchParams.set('scope', scope);
    const ex = await this.exchange({
      kind: 'token',
      method: 'GET',
      url: url.href,
      accept: 'application/json',
      maxBytes: 1024 * 1024,
      tokenEndpoint: true,
      ...(signal ? { signal } : {}),
    });
    if (ex.status === 401 || ex.status === 403) {
      throw new AuthenticationError(
        `The token service of ${this.host} (${url.origin}) refused the credentials (${ex.status})`,
      );
    }
    if (ex.status !== 200) throw this.httpError(ex, { noun: `Token service ${url.origin} for` });
    const parsed = BearerTokenResponse.safeParse(safeJson(ex.body));
    if (!parsed.success)
      throw new AuthenticationError(`The token service of ${this.host} sent no usable token`);
    const token = parsed.data.token ?? parsed.data.access_token ?? '';
    this.options.redactor?.register(token);
    // Docker's token spec: 60 s when unstated; renew 10 s early so a token never expires in flight.
    const ttl = (parsed.data.expires_in ?? 60) * 1000;
    this.bearerTokens.set(scope, { token, expiresAt: Date.now() + Math.max(0, ttl - 10_000) });
    return token;
  }

  private transportError(failure: TransportFailure, op: Op, cause: unknown, attempts: number): AppError {
    const what = `${op.method} ${redactUrl(op.url)}`;
    const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
    switch (failure) {
      case 'timeout':
        return new RegistryTimeoutError(
          `Registry ${this.host} did not answer ${what} within ${this.timeoutMs} ms${tries}`,
          {
            cause,
            hints: ['Check the network path to the registry, or raise the timeout.'],
          },
        );
      case 'unreachable':
        return new RegistryUnreachableError(`Cannot connect to registry ${this.host} (${what})`, {
          cause,
          hints: ['Check the registry endpoint, DNS and firewall rules.'],
        });
      case 'reset':
        return new RegistryConnectionError(
          `The connection to registry ${this.host} broke during ${what}${tries}`,
          { cause },
        );
    }
  }

  private httpError(ex: Exchange, subject: Subject): AppError {
    const { code, message: registryMessage } = firstErrorCode(ex.body);
    const name = subject.repository
      ? `${subject.repository}${subject.reference ? (subject.reference.includes(':') ? `@${subject.reference}` : `:${subject.reference}`) : ''}`
      : '';
    const target = `${subject.noun}${name ? ` ${name}` : ''} on registry ${this.host}`;
    const detail = code
      ? ` (${code}${registryMessage ? `: ${registryMessage}` : ''})`
      : ` (HTTP ${ex.status})`;
    const msg = (text: string) => this.options.redactor?.redact(text) ?? text;
    if (
      code === 'MANIFEST_UNKNOWN' ||
      code === 'NAME_UNKNOWN' ||
      code === 'BLOB_UNKNOWN' ||
      ex.status === 404
    ) {
      return new NotFoundError(msg(`${target} not found${detail}`));
    }
    if (code === 'UNAUTHORIZED' || ex.status === 401) {
      return new AuthenticationError(
        msg(`Registry ${this.host} rejected the credentials for ${target}${detail}`),
        {
          hints:
            this.options.auth.kind === 'none'
              ? ['The registry needs credentials.']
              : ['Check the credentials of the integration.'],
        },
      );
    }
    if (code === 'DENIED' || ex.status === 403) {
      return new NotAllowedError(msg(`Registry ${this.host} denied access to ${target}${detail}`), {
        hints: ['The credentials are valid but lack pull permission on this repository.'],
      });
    }
    if (code === 'TOOMANYREQUESTS' || ex.status === 429) {
      return new RegistryThrottledError(
        msg(`Registry ${this.host} throttled ${target}${detail}; gave up after ${this.retries + 1} attempts`),
        {
          hints: ['Retry later; lower the report rate or raise the registry quota.'],
        },
      );
    }
    if (ex.status >= 500) {
      return new RegistryServerError(
        msg(`Registry ${this.host} failed on ${target}${detail} after ${this.retries + 1} attempts`),
      );
    }
    return new InputError(msg(`Registry ${this.host} rejected the request for ${target}${detail}`));
  }
}

function sig(opts: CallOptions): { signal?: AbortSignal } {
  return opts.signal ? { signal: opts.signal } : {};
}

function safeJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
  } catch {
    return undefined;
  }
}

/** Pre-signed URLs carry credentials in the query string: never put one in a message. */
function redactUrl(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}${u.search ? '?…' : ''}`;
}

/** `Link: </v2/x/tags/list?n=2&last=b>; rel="next"` → absolute URL, or undefined on the last page. */
export function nextLink(header: string | null, base: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (m && /\brel\s*=\s*"?next"?/i.test(m[2] ?? '')) return new URL(m[1] ?? '', base).href;
  }
  return undefined;
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
