import { AuthenticationError } from '../../../domain/errors.js';
import type { CredentialStrategy } from './auth.js';
import { BearerTokenResponse, parseChallenge } from './challenge.js';
import { safeJson, type Authenticator, type Exchange, type Op, type RegistryHttp } from './exchange.js';

/**
 * Token realms known to belong to a registry on another origin. Docker Hub is the one registry whose
 * documented realm (https://docs.docker.com/registry/spec/auth/token/) is not on the API host.
 */
const KNOWN_REALMS: Readonly<Record<string, readonly string[]>> = {
  'https://registry-1.docker.io': ['https://auth.docker.io'],
};

/** Longest a token is kept, whatever `expires_in` says. */
const MAX_TOKEN_TTL_MS = 60 * 60 * 1000;
/** Scopes with a cached token; the scope comes from the registry's challenge, so the cache is bounded. */
export const MAX_CACHED_SCOPES = 256;

/**
 * The authentication layer of one client: the integration's credential strategy, plus the Bearer token
 * flow of the distribution token spec (https://distribution.github.io/distribution/spec/auth/token/):
 * a 401 with `WWW-Authenticate: Bearer realm=…,service=…,scope=…` sends the client to the realm for a
 * token, which then goes with every request, cached per scope until shortly before it expires.
 *
 * Credentials go to the realm only when it is the registry's own origin, or an origin the integration
 * (or KNOWN_REALMS) names: the challenge comes from the registry's answer, and a hostile or hijacked
 * registry must not be able to send the integration's password somewhere else. Elsewhere, the realm is
 * asked for an anonymous token only when the strategy holds no credentials; with credentials the call
 * fails, saying which origin to trust.
 */
export class TokenAuthenticator implements Authenticator {
  /** Set once the registry has answered with a Bearer challenge: then every request goes with a token. */
  private bearer: { realm: URL; service?: string } | undefined;
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();
  private readonly trustedRealms: ReadonlySet<string>;

  constructor(
    private readonly strategy: CredentialStrategy,
    private readonly http: RegistryHttp,
    trustedRealms: readonly string[] = [],
    private readonly now: () => number = Date.now,
  ) {
    const origin = http.settings.origin;
    this.trustedRealms = new Set([origin, ...(KNOWN_REALMS[origin] ?? []), ...trustedRealms.map(originOf)]);
  }

  get anonymous(): boolean {
    return this.strategy.anonymous;
  }

  async authorization(op: Op): Promise<string | undefined> {
    if (this.bearer) return `Bearer ${await this.token(op.scope ?? '', false, op.signal)}`;
    return this.strategy.authorization(false);
  }

  /**
   * After a 401: learn a Bearer challenge and fetch a token, or let the strategy mint a fresh credential.
   * False when there is nothing to refresh (static Basic).
   */
  async refresh(op: Op, ex: Exchange): Promise<string | false> {
    const challenge = parseChallenge(ex.headers.get('www-authenticate'));
    const realm = challenge?.scheme === 'bearer' ? challenge.params['realm'] : undefined;
    if (challenge && realm) {
      const service = challenge.params['service'];
      this.bearer = { realm: this.checkRealm(realm), ...(service ? { service } : {}) };
      return `Bearer ${await this.token(challenge.params['scope'] ?? op.scope ?? '', true, op.signal)}`;
    }
    if (this.strategy.refreshable) return (await this.strategy.authorization(true)) ?? false;
    return false;
  }

  private checkRealm(realm: string): URL {
    const host = this.http.host;
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new AuthenticationError(`${host} sent an unreadable token realm ${JSON.stringify(realm)}`);
    }
    // Credentials go to the realm: never over plain HTTP unless the registry itself is plain HTTP.
    const registryIsPlain = this.http.settings.origin.startsWith('http:');
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && registryIsPlain)) {
      throw new AuthenticationError(`${host} asks for tokens from ${url.origin}, which is not HTTPS`);
    }
    if (url.username || url.password) {
      throw new AuthenticationError(`${host} sent a token realm with credentials in the URL`);
    }
    return url;
  }

  private realmAuthorization(realm: URL): string | undefined {
    const authorization = this.strategy.realmAuthorization();
    if (authorization === undefined || this.trustedRealms.has(realm.origin)) return authorization;
    throw new AuthenticationError(
      `Registry ${this.http.host} asks for its credentials to be sent to the token service ${realm.origin}, another origin; they were not sent`,
      {
        hints: [
          `If ${realm.origin} is this registry's own token service, list it in the integration's trusted token realms.`,
        ],
      },
    );
  }

  private async token(scope: string, force: boolean, signal: AbortSignal | undefined): Promise<string> {
    const cached = this.tokens.get(scope);
    if (!force && cached && cached.expiresAt > this.now()) return cached.token;
    if (!this.bearer) throw new Error('bearer realm unknown');
    const url = new URL(this.bearer.realm);
    if (this.bearer.service) url.searchParams.set('service', this.bearer.service);
    if (scope) url.searchParams.set('scope', scope);
    const ex = await this.http.exchange({
      kind: 'token',
      method: 'GET',
      url: url.href,
      accept: 'application/json',
      maxBytes: 1024 * 1024,
      tokenEndpoint: { authorization: this.realmAuthorization(url) },
      ...(signal ? { signal } : {}),
    });
    const host = this.http.host;
    if (ex.status === 401 || ex.status === 403) {
      throw new AuthenticationError(
        `The token service of ${host} (${url.origin}) refused the credentials (${ex.status})`,
      );
    }
    if (ex.status !== 200) throw this.http.error(ex, { noun: `Token service ${url.origin} for` });
    const parsed = BearerTokenResponse.safeParse(safeJson(ex.body));
    if (!parsed.success) throw new AuthenticationError(`The token service of ${host} sent no usable token`);
    const token = parsed.data.token ?? parsed.data.access_token ?? '';
    this.http.settings.redactor?.register(token);
    // The token spec: 60 s when unstated; renew 10 s early so a token never expires in flight.
    const ttl = Math.min((parsed.data.expires_in ?? 60) * 1000, MAX_TOKEN_TTL_MS);
    this.tokens.delete(scope);
    if (this.tokens.size >= MAX_CACHED_SCOPES) this.tokens.delete(this.tokens.keys().next().value ?? '');
    this.tokens.set(scope, { token, expiresAt: this.now() + Math.max(0, ttl - 10_000) });
    return token;
  }
}

function originOf(realm: string): string {
  return new URL(realm).origin;
}
