import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthenticationError } from '../../../domain/errors.js';
import { RegistryClient, type FetchLike, type RegistryClientOptions } from './client.js';
import { MAX_CACHED_SCOPES } from './token-auth.js';

// The Bearer flow's trust rules with a strict scripted fetch (the real-peer flow is in
// test/oci-bearer.test.ts): which origin gets which credentials, and how long a token is kept.

type Seen = { url: URL; authorization: string | undefined };

function registry(
  answer: (url: URL, authorization: string | undefined) => Response,
): FetchLike & { seen: Seen[] } {
  const seen: Seen[] = [];
  const f = ((url: string, init: RequestInit) => {
    const u = new URL(url);
    const authorization = (init.headers as Record<string, string>)['authorization'];
    seen.push({ url: u, authorization });
    return Promise.resolve(answer(u, authorization));
  }) as FetchLike & { seen: Seen[] };
  f.seen = seen;
  return f;
}

const challenge = (realm: string) =>
  new Response('{"errors":[{"code":"UNAUTHORIZED"}]}', {
    status: 401,
    headers: { 'www-authenticate': `Bearer realm="${realm}",service="svc"` },
  });
const token = (t: string, expiresIn?: number) =>
  new Response(JSON.stringify({ token: t, ...(expiresIn ? { expires_in: expiresIn } : {}) }), {
    status: 200,
  });

/** A registry at `origin` whose token realm is `realm`, granting `tok-N` to whoever asks. */
function bearerRegistry(origin: string, realm: string) {
  let n = 0;
  return registry((u, authorization) => {
    if (u.href.startsWith(realm)) return token(`tok-${++n}-abcdef`, 3600 * 24 * 365 * 100);
    if (u.origin === origin && authorization?.startsWith('Bearer '))
      return new Response('{}', { status: 200 });
    return challenge(realm);
  });
}

const basic = { kind: 'basic', username: 'me', password: 's3cret-pw' } as const;
const client = (f: FetchLike, over: Partial<RegistryClientOptions> & { endpoint: string }) =>
  new RegistryClient({ auth: basic, fetch: f, retries: 0, ...over });
const realmCalls = (f: { seen: Seen[] }, realmOrigin: string) =>
  f.seen.filter((s) => s.url.origin === realmOrigin);

afterEach(() => {
  vi.useRealTimers();
});

describe('token realm trust', () => {
  it('the registry’s own origin gets the Basic credentials', async () => {
    const f = bearerRegistry('https://r.example', 'https://r.example/token');
    await client(f, { endpoint: 'https://r.example' }).ping();
    expect(realmCalls(f, 'https://r.example').filter((s) => s.url.pathname === '/token')).toEqual([
      expect.objectContaining({ authorization: expect.stringMatching(/^Basic /) }),
    ]);
  });

  it('another origin gets nothing unless trusted: the call fails before any request goes there', async () => {
    const f = bearerRegistry('https://r.example', 'https://evil.example/token');
    const err = await client(f, { endpoint: 'https://r.example' })
      .ping()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as Error).message).toContain('https://evil.example');
    expect(realmCalls(f, 'https://evil.example')).toEqual([]);
  });

  it('a trusted origin (named as a URL or an origin) gets them', async () => {
    for (const trusted of ['https://auth.example', 'https://auth.example/token?x=1']) {
      const f = bearerRegistry('https://r.example', 'https://auth.example/token');
      await client(f, { endpoint: 'https://r.example', trustedTokenRealms: [trusted] }).ping();
      expect(realmCalls(f, 'https://auth.example')[0]?.authorization).toMatch(/^Basic /);
    }
  });

  it('Docker Hub’s documented realm is trusted for its registry host', async () => {
    const f = bearerRegistry('https://registry-1.docker.io', 'https://auth.docker.io/token');
    await client(f, { endpoint: 'https://registry-1.docker.io' }).ping();
    expect(realmCalls(f, 'https://auth.docker.io')[0]?.authorization).toMatch(/^Basic /);
  });

  it('without credentials any HTTPS realm may issue an anonymous token', async () => {
    const f = bearerRegistry('https://r.example', 'https://auth.example/token');
    await client(f, { endpoint: 'https://r.example', auth: { kind: 'none' } }).ping();
    expect(realmCalls(f, 'https://auth.example')).toEqual([
      expect.objectContaining({ authorization: undefined }),
    ]);
  });

  it('an ECR-style token is never sent to a realm, even a same-origin one', async () => {
    const f = bearerRegistry('https://r.example', 'https://r.example/token');
    const auth = { kind: 'ecr', getToken: () => Promise.resolve('QVdTOnBhc3N3b3Jk') } as const;
    await client(f, { endpoint: 'https://r.example', auth }).ping();
    expect(f.seen.find((s) => s.url.pathname === '/token')?.authorization).toBeUndefined();
  });

  it('a realm with credentials in its URL is refused', async () => {
    const f = bearerRegistry('https://r.example', 'https://user:pw@r.example/token');
    await expect(client(f, { endpoint: 'https://r.example' }).ping()).rejects.toThrow(
      /credentials in the URL/,
    );
  });

  it('a realm redirecting to another origin loses the credentials on the way', async () => {
    const f = registry((u, authorization) => {
      if (u.origin === 'https://r.example' && authorization?.startsWith('Bearer ')) return new Response('{}');
      if (u.origin === 'https://r.example' && u.pathname === '/token')
        return new Response(null, { status: 307, headers: { location: 'https://elsewhere.example/t' } });
      if (u.origin === 'https://elsewhere.example') return token('tok-abcdef');
      return challenge('https://r.example/token');
    });
    await client(f, { endpoint: 'https://r.example' }).ping();
    expect(f.seen.map((s) => [s.url.origin + s.url.pathname, s.authorization?.split(' ')[0]])).toEqual([
      ['https://r.example/v2/', 'Basic'],
      ['https://r.example/token', 'Basic'],
      ['https://elsewhere.example/t', undefined],
      ['https://r.example/v2/', 'Bearer'],
    ]);
  });

  it('a token is kept at most an hour, whatever expires_in says', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const f = bearerRegistry('https://r.example', 'https://r.example/token');
    const c = client(f, { endpoint: 'https://r.example' });
    await c.ping();
    await c.ping();
    expect(c.stats.byKind.token).toBe(1);
    vi.setSystemTime(Date.now() + 61 * 60 * 1000);
    await c.ping();
    expect(c.stats.byKind.token).toBe(2);
  });

  it('keeps tokens for a bounded number of scopes, dropping the oldest', async () => {
    const f = bearerRegistry('https://r.example', 'https://r.example/token');
    const c = client(f, { endpoint: 'https://r.example' });
    const tokens = () => c.stats.byKind.token ?? 0;
    const repos = Array.from({ length: MAX_CACHED_SCOPES + 1 }, (_, i) => `r${i}`);
    for (const r of repos) await c.headManifest(r, 'v1');
    expect(tokens()).toBe(repos.length);
    await c.headManifest(repos.at(-1)!, 'v1'); // the newest scope: still cached
    expect(tokens()).toBe(repos.length);
    await c.headManifest('r0', 'v1'); // the oldest: dropped, asked for again
    expect(tokens()).toBe(repos.length + 1);
  });
});
