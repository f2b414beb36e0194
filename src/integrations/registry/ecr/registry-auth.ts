import type { Redactor } from '../../../logging/redactor.js';
import { basicTokenAuth, type CredentialStrategy } from '../oci/auth.js';
import type { ClientRequest, EcrClientCache } from './clients.js';

export interface EcrRegistryAuthDeps {
  clients: EcrClientCache;
  /** Credentials, region and API endpoint the token is asked with. */
  request: ClientRequest;
  /** The registry the token is for (its cache key with the credentials). */
  registryHost: string;
  redactor: Redactor;
  /** Turns a GetAuthorizationToken failure into the caller's error (retryable or final). */
  mapError?: (err: unknown) => Error;
}

/**
 * ECR's credential strategy for the registry client: the GetAuthorizationToken token (base64
 * `AWS:<password>`, cached by EcrClientCache until shortly before it expires), sent as Basic; a 401
 * mints a fresh one once.
 */
export function ecrTokenAuth(deps: EcrRegistryAuthDeps): CredentialStrategy {
  return basicTokenAuth(
    async (refresh) => {
      try {
        const token = await deps.clients.authorizationToken({
          ...deps.request,
          registryHost: deps.registryHost,
          refresh,
        });
        return token.authorizationToken;
      } catch (err) {
        throw deps.mapError ? deps.mapError(err) : err;
      }
    },
    { host: deps.registryHost, redactor: deps.redactor },
  );
}

/**
 * A token already in hand (the connection test has just minted it): sent as is, never refreshed, so a
 * 401 reports that this very token was refused.
 */
export function ecrTokenInHand(token: string, ctx: { host: string; redactor: Redactor }): CredentialStrategy {
  return basicTokenAuth(() => Promise.resolve(token), { ...ctx, refreshable: false });
}
