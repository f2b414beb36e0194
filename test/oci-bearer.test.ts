import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationError } from '../src/domain/errors.js';
import { RegistryClient, type RegistryClientOptions } from '../src/integrations/registry/oci/index.js';
import { Redactor } from '../src/logging/redactor.js';
import { pushImage, type PushedImage } from './peers/images.js';
import { startTokenRegistry, type TokenRegistryPeer } from './peers/token-registry.js';

// The Bearer token flow of the distribution token spec against CNCF distribution run with `auth: token`
// (the real peer) and a token server stand-in (test/peers/token-registry.ts, citing the spec). The realm
// listens on its own port, so it is another origin than the registry: credentials go there only when the
// integration trusts it.

const REPO = 'team/app';
let peer: TokenRegistryPeer;
let image: PushedImage;

beforeAll(async () => {
  peer = await startTokenRegistry();
  const push = peer.mint([{ type: 'repository', name: REPO, actions: ['pull', 'push'] }]);
  image = await pushImage({ url: peer.url, authorization: `Bearer ${push}` }, REPO, 'v1');
});

afterAll(async () => {
  await peer?.stop();
});

const client = (over: Partial<RegistryClientOptions> = {}) =>
  new RegistryClient({
    endpoint: peer.url,
    auth: { kind: 'basic', username: peer.username, password: peer.password },
    trustedTokenRealms: [peer.realm],
    timeoutMs: 5000,
    ...over,
  });

const requestsSince = (n: number) => peer.tokenRequests.slice(n);

describe('Bearer realm (distribution token auth)', () => {
  it('fetches a pull token with the Basic credentials, then reuses it for the scope', async () => {
    const before = peer.tokenRequests.length;
    const redactor = new Redactor();
    const c = client({ redactor });
    const first = await c.getManifest(REPO, 'v1');
    expect(first.digest).toBe(image.digest);
    expect((await c.getManifest(REPO, image.digest)).digest).toBe(image.digest);
    expect(await c.listTags(REPO)).toEqual(['v1']);
    const seen = requestsSince(before);
    expect(seen).toEqual([
      {
        authorization: `Basic ${Buffer.from(`${peer.username}:${peer.password}`).toString('base64')}`,
        service: peer.service,
        scope: `repository:${REPO}:pull`,
      },
    ]);
    // The first manifest GET is refused (401 + challenge), then every call goes with the token.
    expect(c.stats.byKind).toEqual({ manifest: 3, tags: 1, token: 1 });
    expect(redactor.redact(`x ${peer.password} y`)).toBe('x [REDACTED] y');
  });

  it('answers /v2/ with a token asked without a scope', async () => {
    const before = peer.tokenRequests.length;
    expect(await client().ping()).toEqual({ apiVersion: 'registry/2.0' });
    expect(requestsSince(before).map((r) => r.scope)).toEqual([null]);
  });

  it('does not send the credentials to a realm on another origin the integration does not trust', async () => {
    const before = peer.tokenRequests.length;
    const err = await client({ trustedTokenRealms: [] })
      .getManifest(REPO, 'v1')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as Error).message).toContain(new URL(peer.realm).origin);
    expect((err as AuthenticationError).hints.join(' ')).toMatch(/trusted token realms/);
    expect(requestsSince(before)).toEqual([]);
  });

  it('anonymous: asks the realm for a token without credentials, and reports that credentials are needed', async () => {
    const before = peer.tokenRequests.length;
    const err = await client({ auth: { kind: 'none' }, trustedTokenRealms: [] })
      .getManifest(REPO, 'v1')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).hints).toEqual(['The registry needs credentials.']);
    expect(requestsSince(before).map((r) => r.authorization)).toEqual([undefined]);
  });

  it('a wrong password is refused by the token service, and never shown', async () => {
    const wrong = 'not-the-password-0123';
    const err = await client({
      auth: { kind: 'basic', username: peer.username, password: wrong },
      redactor: new Redactor(),
    })
      .getManifest(REPO, 'v1')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as Error).message).toMatch(/token service .* refused the credentials \(401\)/);
    expect((err as Error).message).not.toContain(wrong);
  });
});
