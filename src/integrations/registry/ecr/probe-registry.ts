import type { Redactor } from '../../../logging/redactor.js';
import { RegistryClient } from '../oci/client.js';
import type { Transport } from '../oci/transport.js';
import type { EcrAuthToken, EcrClientCache } from './clients.js';
import { RegistryHttpError } from './errors.js';
import { ecrTokenInHand } from './registry-auth.js';

export interface RegistryCheckDeps {
  clients: EcrClientCache;
  redactor: Redactor;
  timeoutMs: number;
  transport?: Transport | undefined;
}

/**
 * The `registry` check: `GET /v2/` on the ECR registry with the token just minted, through the same
 * registry client enrichment uses (timeouts, bounded bodies, credentials never sent across origins).
 * One attempt and no token refresh: the test reports what this token gets, and a refused token is
 * dropped from the cache so enrichment does not keep it either.
 */
export async function checkRegistry(
  url: string,
  token: EcrAuthToken,
  credentialsKey: string,
  deps: RegistryCheckDeps,
): Promise<void> {
  const host = new URL(url).host;
  const client = new RegistryClient({
    endpoint: url,
    auth: ecrTokenInHand(token.authorizationToken, { host, redactor: deps.redactor }),
    redactor: deps.redactor,
    timeoutMs: deps.timeoutMs,
    retries: 0,
    ...(deps.transport ? { transport: deps.transport } : {}),
  });
  const v2 = `${client.endpoint}/v2/`;
  const { status } = await client.apiStatus();
  if (status !== 200) {
    if (status === 401) deps.clients.forgetAuthorizationToken(credentialsKey, host);
    throw new RegistryHttpError(status, v2, `GET ${v2} answered HTTP ${status}, expected 200.`);
  }
}
