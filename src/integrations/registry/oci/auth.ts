import { AppError, AuthenticationError } from '../../../domain/errors.js';
import type { Redactor } from '../../../logging/redactor.js';

export { parseChallenge } from './challenge.js';

/**
 * How one integration's credentials reach its registry. The client knows no registry vendor: it asks
 * the strategy for an `Authorization` value, once more after a 401 when the strategy can mint a fresh
 * one, and for the value to show a Bearer token realm (see token-auth.ts). ECR plugs in its token
 * provider (registry/ecr/registry-auth.ts); generic v2 registries use `basicAuth` or `anonymousAuth`.
 */
export interface CredentialStrategy {
  /** No credentials at all: a 401 then means "the registry needs credentials". */
  readonly anonymous: boolean;
  /** Whether a 401 is worth one retry with `authorization(true)` (a token that can be minted again). */
  readonly refreshable: boolean;
  /** `Authorization` for registry requests until the registry asks for Bearer tokens; undefined: none. */
  authorization(refresh: boolean): Promise<string | undefined>;
  /**
   * `Authorization` for a Bearer token realm the client trusts with the credentials (the distribution
   * token spec authenticates token requests with Basic); undefined asks for an anonymous token.
   */
  realmAuthorization(): string | undefined;
}

/**
 * The data forms of the strategies, for callers that hold plain settings (the CLI's `--creds`, tests).
 * - `ecr`: a token from a provider (ECR's GetAuthorizationToken: base64 `AWS:<password>`), sent as
 *   `Basic <token>`; `getToken(true)` must mint a fresh one. Same as `basicTokenAuth(getToken)`.
 */
export type RegistryAuth =
  | { kind: 'none' }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'ecr'; getToken(refresh: boolean): Promise<string> };

export interface StrategyContext {
  /** The registry host, for messages. */
  host: string;
  /** Passwords and tokens are registered here as soon as the strategy holds them. */
  redactor?: Redactor | undefined;
}

export function credentialStrategy(
  auth: RegistryAuth | CredentialStrategy,
  ctx: StrategyContext,
): CredentialStrategy {
  if (!('kind' in auth)) return auth;
  switch (auth.kind) {
    case 'none':
      return anonymousAuth();
    case 'basic':
      return basicAuth(auth.username, auth.password, ctx);
    case 'ecr':
      return basicTokenAuth((refresh) => auth.getToken(refresh), ctx);
  }
}

export function anonymousAuth(): CredentialStrategy {
  return {
    anonymous: true,
    refreshable: false,
    authorization: () => Promise.resolve(undefined),
    realmAuthorization: () => undefined,
  };
}

/** Static username and password: sent as Basic to the registry and to a trusted token realm. */
export function basicAuth(username: string, password: string, ctx: StrategyContext): CredentialStrategy {
  ctx.redactor?.register(password);
  const header = basicHeader(username, password);
  return {
    anonymous: false,
    refreshable: false,
    authorization: () => Promise.resolve(header),
    realmAuthorization: () => header,
  };
}

/**
 * A token the registry takes as Basic credentials, from a provider that caches it and can mint a fresh
 * one (ECR). Never offered to a token realm: such registries do not issue Bearer challenges, and the
 * token is worth an account's pull rights.
 */
export function basicTokenAuth(
  getToken: (refresh: boolean) => Promise<string>,
  ctx: StrategyContext & { refreshable?: boolean },
): CredentialStrategy {
  return {
    anonymous: false,
    refreshable: ctx.refreshable ?? true,
    async authorization(refresh) {
      let token: string;
      try {
        token = await getToken(refresh);
      } catch (err) {
        if (err instanceof AppError) throw err;
        throw new AuthenticationError(`Could not get a registry token for ${ctx.host}`, { cause: err });
      }
      ctx.redactor?.register(token);
      // The token is base64("user:<password>"); the password alone must not leak either.
      ctx.redactor?.register(Buffer.from(token, 'base64').toString('utf8').split(':').slice(1).join(':'));
      return `Basic ${token}`;
    },
    realmAuthorization: () => undefined,
  };
}

export function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}
