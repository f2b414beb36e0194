import type { Context, MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import { AuthenticationError, NotAllowedError } from '../domain/errors.js';
import { hasScope, type Principal, type Scope, type TokenStore } from '../store/token-store.js';

/**
 * Bearer-token authentication and scope checks for the API. Both throw taxonomy errors
 * (AuthenticationError → 401 with a `WWW-Authenticate: Bearer` challenge, NotAllowedError → 403), which
 * `errorHandler` turns into responses, so the app must install `app.onError(errorHandler(...))`.
 */

export type AuthVariables = {
  principal: Principal;
  /** Set when the request was authenticated by an SSO session cookie rather than a bearer token. */
  ssoUser?: { id: string; name: string };
};
export type AuthEnv = { Variables: AuthVariables };

export interface AuthClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const systemClock: AuthClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface BearerAuthOptions {
  tokens: Pick<TokenStore, 'verify' | 'touch'>;
  clock?: AuthClock;
  /**
   * Who is guessing, for the failure slow-down. Default: the TCP peer address from @hono/node-server.
   * Behind a reverse proxy, pass a function that reads the proxy's header you trust.
   */
  clientAddress?: (c: Context) => string;
  /** Delay after the n-th failure from one address: min(maxDelayMs, baseDelayMs × 2^(n−1)). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Failures older than this are forgotten. */
  forgetAfterMs?: number;
  /** Bounds the failure map, so a flood from many addresses cannot grow memory without limit. */
  maxTrackedClients?: number;
  /** `last_used_at` is written at most this often per token, to spare the database a write per request. */
  touchIntervalMs?: number;
  /** A failed `touch` must not fail the request; it is reported here. */
  onTouchError?: (err: unknown) => void;
  /**
   * Also take `Authorization: <token>` without the "Bearer" scheme, as Codefresh's report-image client sends
   * it. Only for the Codefresh-compatible endpoints; the API itself stays Bearer-only.
   */
  rawToken?: boolean;
}

const BEARER = /^Bearer +([^\s]+) *$/i;
const RAW = /^ *([^\s]+) *$/;

/** Remote address as @hono/node-server exposes it (`c.env.incoming`), without depending on that package. */
function nodePeerAddress(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'unknown';
}

export function bearerAuth(options: BearerAuthOptions): MiddlewareHandler<AuthEnv> {
  const clock = options.clock ?? systemClock;
  const clientAddress = options.clientAddress ?? nodePeerAddress;
  const base = options.baseDelayMs ?? 100;
  const max = options.maxDelayMs ?? 4000;
  const forgetAfter = options.forgetAfterMs ?? 15 * 60_000;
  const failures = new BoundedMap<string, { count: number; last: number }>(
    options.maxTrackedClients ?? 10_000,
  );
  const touched = new BoundedMap<string, number>(options.maxTrackedClients ?? 10_000);
  const touchInterval = options.touchIntervalMs ?? 60_000;

  /** Records a failure and waits, so guessing tokens from one address gets exponentially slower. */
  async function slowDown(address: string): Promise<void> {
    const now = clock.now();
    const prev = failures.get(address);
    const count = prev && now - prev.last < forgetAfter ? prev.count + 1 : 1;
    failures.set(address, { count, last: now });
    await clock.sleep(Math.min(max, base * 2 ** Math.min(count - 1, 30)));
  }

  return createMiddleware<AuthEnv>(async (c, next) => {
    const header = c.req.header('Authorization');
    if (!header) {
      // Not a guess: a client that forgot the token is not slowed down.
      throw new AuthenticationError('This endpoint needs an API token.', {
        hints: ['Send it as "Authorization: Bearer <token>" (the CLI reads --token or IMAGETRAIL_TOKEN).'],
      });
    }
    const token = BEARER.exec(header)?.[1] ?? (options.rawToken ? RAW.exec(header)?.[1] : undefined);
    const principal = token ? await options.tokens.verify(token) : null;
    if (!principal) {
      await slowDown(clientAddress(c));
      throw new AuthenticationError(
        token
          ? 'The API token is not valid or has been revoked.'
          : 'The Authorization header is not a bearer token.',
        { hints: ['Send "Authorization: Bearer <token>" with a current token; an admin can create one.'] },
      );
    }

    const now = clock.now();
    const lastTouch = touched.get(principal.id);
    if (lastTouch === undefined || now - lastTouch >= touchInterval) {
      touched.set(principal.id, now);
      // Best-effort bookkeeping, off the request's critical path.
      options.tokens.touch(principal.id).catch((err: unknown) => options.onTouchError?.(err));
    }

    c.set('principal', principal);
    await next();
  });
}

/**
 * Passes when the principal holds any one of `scopes` (or `admin`). A scope may be computed from the
 * request, e.g. `(c) => \`runtime:${c.req.param('name')}\``. Put it after `bearerAuth`.
 */
export function requireScope(
  ...scopes: (Scope | ((c: Context<AuthEnv>) => Scope))[]
): MiddlewareHandler<AuthEnv> {
  return createMiddleware<AuthEnv>(async (c, next) => {
    const principal = c.get('principal') as Principal | undefined;
    // Fail closed if the route was mounted without bearerAuth in front of it.
    if (!principal) throw new AuthenticationError('This endpoint needs an API token.');
    const needed = scopes.map((s) => (typeof s === 'function' ? s(c) : s));
    if (!needed.some((s) => hasScope(principal, s))) {
      const list = needed.map((s) => `"${s}"`);
      const what = list.length === 1 ? `the ${list[0]} scope` : `one of the scopes ${list.join(', ')}`;
      throw new NotAllowedError(
        `This needs ${what}; the token "${principal.name}" has ${describe(principal.scopes)}.`,
        {
          hints: ['Ask an admin for a token with that scope (or the admin scope).'],
        },
      );
    }
    await next();
  });
}

function describe(scopes: readonly Scope[]): string {
  return scopes.length ? `only ${scopes.map((s) => `"${s}"`).join(', ')}` : 'no scopes';
}

/** A Map that forgets its least recently written entries beyond `limit`. */
class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly limit: number) {}

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): void {
    // Re-inserting moves the key to the end, so the first key is always the stalest.
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.limit) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      this.map.delete(oldest.value);
    }
  }

  get size(): number {
    return this.map.size;
  }
}
