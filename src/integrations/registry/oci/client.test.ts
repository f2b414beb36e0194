import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AuthenticationError, NotAllowedError, PayloadTooLargeError } from '../../../domain/errors.js';
import { Redactor } from '../../../logging/redactor.js';
import { parseChallenge } from './auth.js';
import { nextLink, parseRetryAfter, RegistryClient, type FetchLike } from './client.js';
import { DigestMismatchError } from './errors.js';
import { MediaType } from './schema.js';

// Protocol paths a local distribution cannot show (Bearer token flow, lying registries, paging), with a
// strict scripted fetch: every expected request must happen, in order, and nothing else.

type Step = { expect: (url: URL, init: RequestInit) => void; respond: () => Response };

function scripted(steps: Step[]): FetchLike & { done(): void } {
  let i = 0;
  const f = ((url: string, init: RequestInit) => {
    const step = steps[i++];
    if (!step) throw new Error(`unexpected request ${init.method} ${url}`);
    step.expect(new URL(url), init);
    return Promise.resolve(step.respond());
  }) as FetchLike & { done(): void };
  f.done = () => expect(i, 'all scripted requests used').toBe(steps.length);
  return f;
}

const header = (init: RequestInit, name: string) => (init.headers as Record<string, string>)[name];
const manifest = new TextEncoder().encode(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: `sha256:${'c'.repeat(64)}`, size: 2 },
    layers: [],
  }),
);
const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
const ok =
  (extra: Record<string, string> = {}) =>
  () =>
    new Response(manifest, { status: 200, headers: { 'content-type': MediaType.OciManifest, ...extra } });

describe('Bearer token flow', () => {
  it('answers a Bearer challenge with a token fetched with Basic creds, caches it per scope, refreshes it once on 401', async () => {
    const challenge =
      'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"';
    const unauthorized = () =>
      new Response('{"errors":[{"code":"UNAUTHORIZED"}]}', {
        status: 401,
        headers: { 'www-authenticate': challenge },
      });
    const token = (t: string) => () =>
      new Response(JSON.stringify({ token: t, expires_in: 300 }), { status: 200 });
    const f = scripted([
      // Basic goes first (ECR and htpasswd registries want it); a Bearer challenge switches the client over.
      {
        expect: (u, i) => (
          expect(u.pathname).toBe('/v2/a/b/manifests/v1'),
          expect(header(i, 'authorization')).toMatch(/^Basic /)
        ),
        respond: unauthorized,
      },
      {
        expect: (u, i) => {
          expect(u.origin + u.pathname).toBe('https://auth.example/token');
          expect(u.searchParams.get('scope')).toBe('repository:a/b:pull');
          expect(u.searchParams.get('service')).toBe('registry.example');
          expect(header(i, 'authorization')).toBe(`Basic ${Buffer.from('me:s3cret-pw').toString('base64')}`);
        },
        respond: token('tok-1-abcdef'),
      },
      { expect: (_u, i) => expect(header(i, 'authorization')).toBe('Bearer tok-1-abcdef'), respond: ok() },
      // Cached token reused; the registry now rejects it (revoked): one refresh, one retry.
      {
        expect: (_u, i) => expect(header(i, 'authorization')).toBe('Bearer tok-1-abcdef'),
        respond: unauthorized,
      },
      { expect: (u) => expect(u.hostname).toBe('auth.example'), respond: token('tok-2-abcdef') },
      { expect: (_u, i) => expect(header(i, 'authorization')).toBe('Bearer tok-2-abcdef'), respond: ok() },
    ]);
    const redactor = new Redactor();
    const c = new RegistryClient({
      endpoint: 'https://registry.example',
      auth: { kind: 'basic', username: 'me', password: 's3cret-pw' },
      // The realm is on another origin: credentials go there only when the integration says so.
      trustedTokenRealms: ['https://auth.example'],
      fetch: f,
      redactor,
    });
    expect((await c.getManifest('a/b', 'v1')).digest).toBe(digest);
    expect((await c.getManifest('a/b', 'v1')).digest).toBe(digest);
    f.done();
    expect(c.stats).toEqual({ requests: 6, byKind: { manifest: 4, token: 2 } });
    expect(redactor.redact('tok-2-abcdef s3cret-pw')).toBe('[REDACTED] [REDACTED]');
  });

  it('refuses to send credentials to a plain-HTTP realm of an HTTPS registry', async () => {
    const f = scripted([
      {
        expect: () => undefined,
        respond: () =>
          new Response('', {
            status: 401,
            headers: { 'www-authenticate': 'Bearer realm="http://evil.example/t"' },
          }),
      },
    ]);
    const c = new RegistryClient({
      endpoint: 'https://r.example',
      auth: { kind: 'basic', username: 'u', password: 'p' },
      fetch: f,
    });
    await expect(c.ping()).rejects.toThrow(/not HTTPS/);
  });
});

describe('integrity and limits', () => {
  it('Docker-Content-Digest that does not match the bytes → DigestMismatchError', async () => {
    const f = scripted([
      { expect: () => undefined, respond: ok({ 'docker-content-digest': `sha256:${'0'.repeat(64)}` }) },
    ]);
    const c = new RegistryClient({ endpoint: 'https://r.example', auth: { kind: 'none' }, fetch: f });
    await expect(c.getManifest('a', 'v1')).rejects.toBeInstanceOf(DigestMismatchError);
  });

  it('bytes that do not hash to the requested digest → DigestMismatchError', async () => {
    const f = scripted([{ expect: () => undefined, respond: ok() }]);
    const c = new RegistryClient({ endpoint: 'https://r.example', auth: { kind: 'none' }, fetch: f });
    await expect(c.getManifest('a', `sha256:${'1'.repeat(64)}`)).rejects.toBeInstanceOf(DigestMismatchError);
  });

  it('a manifest over the size limit → PayloadTooLargeError', async () => {
    const f = scripted([{ expect: () => undefined, respond: ok() }]);
    const c = new RegistryClient({
      endpoint: 'https://r.example',
      auth: { kind: 'none' },
      fetch: f,
      maxManifestBytes: 10,
    });
    await expect(c.getManifest('a', 'v1')).rejects.toBeInstanceOf(PayloadTooLargeError);
  });

  it('DENIED → NotAllowedError', async () => {
    const f = scripted([
      {
        expect: () => undefined,
        respond: () => new Response('{"errors":[{"code":"DENIED","message":"no"}]}', { status: 403 }),
      },
    ]);
    const c = new RegistryClient({ endpoint: 'https://r.example', auth: { kind: 'none' }, fetch: f });
    await expect(c.getManifest('a', 'v1')).rejects.toBeInstanceOf(NotAllowedError);
  });

  it('an ECR token provider that throws → AuthenticationError', async () => {
    const c = new RegistryClient({
      endpoint: 'https://r.example',
      auth: { kind: 'ecr', getToken: () => Promise.reject(new Error('sts down')) },
      fetch: scripted([]),
    });
    await expect(c.ping()).rejects.toBeInstanceOf(AuthenticationError);
  });
});

describe('tags pagination', () => {
  it('follows Link rel="next"', async () => {
    const page = (tags: string[], link?: string) => () =>
      new Response(JSON.stringify({ name: 'a', tags }), { status: 200, headers: link ? { link } : {} });
    const f = scripted([
      {
        expect: (u) => expect(u.search).toBe('?n=2'),
        respond: page(['a', 'b'], '</v2/a/tags/list?n=2&last=b>; rel="next"'),
      },
      { expect: (u) => expect(u.search).toBe('?n=2&last=b'), respond: page(['c']) },
    ]);
    const c = new RegistryClient({ endpoint: 'https://r.example', auth: { kind: 'none' }, fetch: f });
    expect(await c.listTags('a', { pageSize: 2 })).toEqual(['a', 'b', 'c']);
    f.done();
  });
});

describe('header parsers', () => {
  it('parses challenges, Retry-After and Link', () => {
    expect(parseChallenge('Bearer realm="https://a/t",service="s",scope="repository:x:pull,push"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://a/t', service: 's', scope: 'repository:x:pull,push' },
    });
    expect(parseChallenge('Basic realm="basic-realm"')).toEqual({
      scheme: 'basic',
      params: { realm: 'basic-realm' },
    });
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(nextLink('<https://x/v2/a/tags/list?last=z>; rel="next"', 'https://r/v2/a/tags/list')).toBe(
      'https://x/v2/a/tags/list?last=z',
    );
    expect(nextLink(null, 'https://r/')).toBeUndefined();
  });
});
