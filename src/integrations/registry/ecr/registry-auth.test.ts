import type { ECRClient } from '@aws-sdk/client-ecr';
import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../../../domain/errors.js';
import { Redactor } from '../../../logging/redactor.js';
import { EcrClientCache, type ClientRequest } from './clients.js';
import { ecrTokenAuth, ecrTokenInHand } from './registry-auth.js';

const creds = { key: 'key:A', provider: () => Promise.resolve({ accessKeyId: 'A', secretAccessKey: 'S' }) };
const request: ClientRequest = { credentials: creds, region: 'eu-west-1' };

/** The real token cache, with an ECR client that answers GetAuthorizationToken (or fails). */
class TokenCache extends EcrClientCache {
  calls = 0;
  failWith: Error | undefined;
  override ecr(_req: ClientRequest): ECRClient {
    return {
      send: () => {
        this.calls++;
        if (this.failWith) return Promise.reject(this.failWith);
        const token = Buffer.from(`AWS:ecr-password-${this.calls}`).toString('base64');
        return Promise.resolve({
          authorizationData: [
            { authorizationToken: token, expiresAt: new Date(Date.now() + 12 * 3_600_000) },
          ],
        });
      },
    } as unknown as ECRClient;
  }
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('ECR token strategy', () => {
  it('sends the cached token as Basic, mints a fresh one on refresh, and redacts both passwords', async () => {
    const redactor = new Redactor();
    const clients = new TokenCache({ redactor });
    const auth = ecrTokenAuth({
      clients,
      request,
      registryHost: '1.dkr.ecr.eu-west-1.amazonaws.com',
      redactor,
    });
    expect(auth).toMatchObject({ anonymous: false, refreshable: true });
    expect(await auth.authorization(false)).toBe(`Basic ${b64('AWS:ecr-password-1')}`);
    expect(await auth.authorization(false)).toBe(`Basic ${b64('AWS:ecr-password-1')}`);
    expect(await auth.authorization(true)).toBe(`Basic ${b64('AWS:ecr-password-2')}`);
    expect(clients.calls).toBe(2);
    expect(redactor.redact('ecr-password-1 ecr-password-2')).toBe('[REDACTED] [REDACTED]');
    expect(auth.realmAuthorization()).toBeUndefined();
  });

  it('maps a GetAuthorizationToken failure with the caller’s mapper', async () => {
    const redactor = new Redactor();
    const clients = new TokenCache({ redactor, maxAttempts: 1 });
    clients.failWith = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    const mapped = new UnavailableError('ECR throttled the token request');
    const auth = ecrTokenAuth({ clients, request, registryHost: 'h', redactor, mapError: () => mapped });
    await expect(auth.authorization(false)).rejects.toBe(mapped);
  });

  it('a token in hand is sent as is and never refreshed', async () => {
    const auth = ecrTokenInHand(b64('AWS:in-hand-password'), { host: 'h', redactor: new Redactor() });
    expect(auth.refreshable).toBe(false);
    expect(await auth.authorization(true)).toBe(`Basic ${b64('AWS:in-hand-password')}`);
  });
});
