import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EcrClientCache } from '../src/integrations/registry/ecr/clients.js';
import { classifyAwsError, RegistryHttpError } from '../src/integrations/registry/ecr/errors.js';
import { checkRegistry } from '../src/integrations/registry/ecr/probe-registry.js';
import { Redactor } from '../src/logging/redactor.js';
import { startRegistry, type RegistryPeer } from './peers/registry.js';

// The connection test's `registry` check goes through the registry client: against distribution with
// htpasswd auth (the ECR data-plane stand-in, user AWS), with a token that works and one that does not.

let registry: RegistryPeer;
beforeAll(async () => {
  registry = await startRegistry();
});
afterAll(async () => {
  await registry?.stop();
});

class ForgetfulCache extends EcrClientCache {
  forgotten: Array<[string, string]> = [];
  override forgetAuthorizationToken(credentialsKey: string, registryHost: string): void {
    this.forgotten.push([credentialsKey, registryHost]);
    super.forgetAuthorizationToken(credentialsKey, registryHost);
  }
}

const token = (password: string) => ({
  authorizationToken: Buffer.from(`AWS:${password}`).toString('base64'),
  username: 'AWS',
  cachedUntil: Date.now() + 60_000,
});

describe('checkRegistry', () => {
  it('passes with a token the registry accepts, in one request', async () => {
    const redactor = new Redactor();
    const clients = new ForgetfulCache({ redactor });
    await checkRegistry(registry.url, token(registry.password), 'key:A', {
      clients,
      redactor,
      timeoutMs: 5000,
    });
    expect(clients.forgotten).toEqual([]);
  });

  it('a refused token: registry-auth, the token dropped from the cache, the password never shown', async () => {
    const redactor = new Redactor();
    const clients = new ForgetfulCache({ redactor });
    const err = await checkRegistry(registry.url, token('stale-password-123'), 'key:A', {
      clients,
      redactor,
      timeoutMs: 5000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryHttpError);
    expect((err as RegistryHttpError).status).toBe(401);
    expect(clients.forgotten).toEqual([['key:A', new URL(registry.url).host]]);
    const c = classifyAwsError(err, { redactor });
    expect(c.errorClass).toBe('registry-auth');
    expect(JSON.stringify(c)).not.toContain('stale-password-123');
  });
});
