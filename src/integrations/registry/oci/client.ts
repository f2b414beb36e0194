import { randomUUID } from 'node:crypto';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { InputError } from '../../../domain/errors.js';
import type { Redactor } from '../../../logging/redactor.js';
import { credentialStrategy, type CredentialStrategy, type RegistryAuth } from './auth.js';
import { getBlob } from './blobs.js';
import {
  ERROR_BODY_LIMIT,
  RegistryHttp,
  sig,
  type Exchange,
  type HttpSettings,
  type RegistryCallStats,
} from './exchange.js';
import { getManifest, headManifest, type ManifestHead, type ManifestResult } from './manifests.js';
import { getReferrersIndex, type ReferrersApiResult } from './referrers-api.js';
import { DEFAULT_MAX_TAG_LIST_BYTES } from './tag-pages.js';
import { listTags } from './tags.js';
import { TokenAuthenticator } from './token-auth.js';
import { fetchTransport, nodeTransport, type FetchLike, type Transport } from './transport.js';

// The registry client is split by reason to change: transport.ts (node:http / fetch), exchange.ts
// (retries, redirects, limits), auth.ts + token-auth.ts + challenge.ts (credentials and the Bearer token
// flow), manifests.ts, blobs.ts, tags.ts, referrers-api.ts (one part of the Registry API each), and
// http-errors.ts (answers → the error taxonomy). This file only puts them together.

export type { FetchLike } from './transport.js';
export type { RegistryCallStats } from './exchange.js';
export type { ManifestHead, ManifestResult } from './manifests.js';
export type { ReferrersApiResult } from './referrers-api.js';
export { nextLink } from './tags.js';
export { parseRetryAfter } from '../../../domain/retry.js';

export interface RegistryClientOptions {
  /** Base URL of the registry API, e.g. `https://123456789012.dkr.ecr.eu-west-1.amazonaws.com`. */
  endpoint: string;
  /** Plain settings, or a strategy an integration brings (ECR: registry/ecr/registry-auth.ts). */
  auth: RegistryAuth | CredentialStrategy;
  /**
   * Token realms (URLs or origins) on another origin than the registry that may receive the
   * credentials in the Bearer flow. The registry's own origin is always trusted.
   */
  trustedTokenRealms?: readonly string[];
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

/**
 * A Registry HTTP API v2 client for one endpoint and one set of credentials. Holds its token cache and
 * call counters, so create one per (endpoint, credentials) and reuse it; it has no global state.
 */
export class RegistryClient {
  readonly endpoint: string;
  /** Unique per instance: content caches key on it so two credentials never share what one may read. */
  readonly id = randomUUID();
  readonly stats: RegistryCallStats;
  private readonly http: RegistryHttp;
  private readonly maxManifestBytes: number;
  private readonly maxBlobBytes: number;
  private readonly tagLimits: { maxPageBytes: number; maxTotalBytes: number; maxPages: number };

  constructor(options: RegistryClientOptions) {
    const settings = httpSettings(options);
    const strategy = credentialStrategy(options.auth, { host: settings.host, redactor: options.redactor });
    this.http = new RegistryHttp(
      settings,
      (http) => new TokenAuthenticator(strategy, http, options.trustedTokenRealms),
    );
    this.endpoint = settings.endpoint;
    this.stats = this.http.stats;
    this.maxManifestBytes = options.maxManifestBytes ?? 4 * 1024 * 1024;
    this.maxBlobBytes = options.maxBlobBytes ?? 16 * 1024 * 1024;
    this.tagLimits = {
      maxPageBytes: this.maxManifestBytes,
      maxTotalBytes: options.maxTagListBytes ?? DEFAULT_MAX_TAG_LIST_BYTES,
      maxPages: options.maxTagPages ?? 100,
    };
  }

  /** `GET /v2/`: the endpoint speaks the registry API and accepts the credentials. */
  async ping(opts: CallOptions = {}): Promise<{ apiVersion?: string }> {
    const ex = await this.base(opts);
    if (ex.status !== 200) throw this.http.error(ex, { noun: 'Registry API' });
    const apiVersion = ex.headers.get('docker-distribution-api-version') ?? undefined;
    return apiVersion === undefined ? {} : { apiVersion };
  }

  /**
   * `GET /v2/` → its final status (after the auth round trip and any retries), for connection tests
   * that explain each status in their own terms. Transport failures still throw.
   */
  async apiStatus(opts: CallOptions = {}): Promise<{ status: number }> {
    return { status: (await this.base(opts)).status };
  }

  getManifest(
    repository: string,
    reference: string,
    opts: CallOptions & { accept?: readonly string[] } = {},
  ): Promise<ManifestResult> {
    return getManifest(this.http, repository, reference, { ...opts, maxBytes: this.maxManifestBytes });
  }

  /** `HEAD` a manifest: digest, media type and size without the body (one call, no download). */
  headManifest(
    repository: string,
    reference: string,
    opts: CallOptions & { accept?: readonly string[] } = {},
  ): Promise<ManifestHead> {
    return headManifest(this.http, repository, reference, opts);
  }

  /** A blob, verified against its digest. ECR answers with a 307 to S3, followed without credentials. */
  getBlob(
    repository: string,
    digest: string,
    opts: CallOptions & { maxBytes?: number } = {},
  ): Promise<Uint8Array> {
    return getBlob(this.http, repository, digest, { ...opts, maxBytes: opts.maxBytes ?? this.maxBlobBytes });
  }

  /** All tags, following `Link: <…>; rel="next"` pages up to `maxTagPages`. */
  listTags(repository: string, opts: CallOptions & { pageSize?: number } = {}): Promise<string[]> {
    return listTags(this.http, repository, this.tagLimits, opts);
  }

  /** OCI 1.1 referrers API; `supported: false` when the registry has none (see referrers-api.ts). */
  getReferrersIndex(
    repository: string,
    digest: string,
    opts: CallOptions & { artifactType?: string } = {},
  ): Promise<ReferrersApiResult> {
    return getReferrersIndex(this.http, repository, digest, { ...opts, maxBytes: this.maxManifestBytes });
  }

  private base(opts: CallOptions): Promise<Exchange> {
    const url = `${this.endpoint}/v2/`;
    return this.http.exchange({ kind: 'ping', method: 'GET', url, maxBytes: ERROR_BODY_LIMIT, ...sig(opts) });
  }
}

function httpSettings(options: RegistryClientOptions): HttpSettings {
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
  return {
    endpoint: `${url.origin}${url.pathname.replace(/\/+$/, '')}`,
    origin: url.origin,
    host: url.host,
    transport: options.transport ?? (options.fetch ? fetchTransport(options.fetch) : nodeTransport()),
    timeoutMs: options.timeoutMs ?? 15_000,
    retries: options.retries ?? 3,
    // Full jitter: retries from many reports against one registry do not arrive in lock-step.
    backoff: {
      baseMs: options.backoff?.baseMs ?? 250,
      maxMs: options.backoff?.maxMs ?? 8_000,
      jitter: 'full',
    },
    maxRetryAfterMs: options.backoff?.maxRetryAfterMs ?? 30_000,
    maxRedirects: options.maxRedirects ?? 5,
    random: options.random ?? Math.random,
    sleep: options.sleep ?? ((ms, signal) => sleepFor(ms, undefined, signal ? { signal } : {})),
    userAgent: options.userAgent ?? 'imagetrail',
    redactor: options.redactor,
  };
}
