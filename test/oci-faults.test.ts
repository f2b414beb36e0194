import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../src/domain/errors.js';
import {
  RegistryClient,
  RegistryConnectionError,
  RegistryServerError,
  RegistryThrottledError,
  RegistryTimeoutError,
  RegistryUnreachableError,
} from '../src/integrations/registry/oci/index.js';
import { startFaultProxy, type FaultProxy } from './peers/fault-proxy.js';
import { freePort } from './peers/free-port.js';
import { pushImage, type PushedImage } from './peers/images.js';
import { startRegistry, type RegistryPeer } from './peers/registry.js';

// A fault proxy in front of the real registry: 429 / 503 / hang / drop for the first N requests.

let registry: RegistryPeer;
let proxy: FaultProxy;
let image: PushedImage;

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.url);
  image = await pushImage(registry, 'faults/app', 'v1');
});
afterAll(async () => {
  await Promise.all([proxy?.stop(), registry?.stop()]);
});
afterEach(() => proxy.clear());

const client = (over: Partial<ConstructorParameters<typeof RegistryClient>[0]> = {}) =>
  new RegistryClient({
    endpoint: proxy.url,
    auth: { kind: 'basic', username: registry.username, password: registry.password },
    timeoutMs: 2000,
    retries: 3,
    backoff: { baseMs: 10, maxMs: 50 },
    ...over,
  });

describe('retried and succeeds', () => {
  it.each([
    [
      '429 with Retry-After: 0',
      [
        { kind: 'status', status: 429, retryAfter: '0' },
        { kind: 'status', status: 429 },
      ],
    ],
    [
      '503',
      [
        { kind: 'status', status: 503 },
        { kind: 'status', status: 503, body: 'upstream down', contentType: 'text/plain' },
      ],
    ],
    ['dropped connection', [{ kind: 'drop' }]],
    ['500 then drop', [{ kind: 'status', status: 500 }, { kind: 'drop' }]],
  ] as const)('%s', async (_n, faults) => {
    proxy.inject([...faults]);
    const c = client();
    expect((await c.getManifest('faults/app', 'v1')).digest).toBe(image.digest);
    expect(c.stats.byKind.manifest).toBe(faults.length + 1);
  });

  it('a hang is cut by the timeout and retried', async () => {
    proxy.inject([{ kind: 'hang' }]);
    const c = client({ timeoutMs: 300 });
    const t0 = Date.now();
    expect((await c.getManifest('faults/app', 'v1')).digest).toBe(image.digest);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    expect(c.stats.byKind.manifest).toBe(2);
  });

  it('honours Retry-After (seconds)', async () => {
    proxy.inject([{ kind: 'status', status: 429, retryAfter: '1' }]);
    const t0 = Date.now();
    expect((await client().getBlob('faults/app', image.config.digest)).length).toBe(image.config.size);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
  });
});

describe('fails with a typed error after the budget', () => {
  it('429 every time → RegistryThrottledError after retries+1 attempts', async () => {
    proxy.inject(
      Array.from({ length: 10 }, () => ({ kind: 'status', status: 429, retryAfter: '0' }) as const),
    );
    const c = client({ retries: 2 });
    const err = await c.getManifest('faults/app', 'v1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryThrottledError);
    expect((err as Error).message).toMatch(/TOOMANYREQUESTS/);
    expect(c.stats.byKind.manifest).toBe(3);
  });

  it('a Retry-After beyond the cap gives up at once', async () => {
    proxy.inject([{ kind: 'status', status: 429, retryAfter: '3600' }]);
    const c = client({ backoff: { maxRetryAfterMs: 5000 } });
    await expect(c.getManifest('faults/app', 'v1')).rejects.toBeInstanceOf(RegistryThrottledError);
    expect(c.stats.byKind.manifest).toBe(1);
  });

  it('503 every time → RegistryServerError', async () => {
    proxy.inject(Array.from({ length: 10 }, () => ({ kind: 'status', status: 503 }) as const));
    await expect(client({ retries: 1 }).getManifest('faults/app', 'v1')).rejects.toBeInstanceOf(
      RegistryServerError,
    );
  });

  it('hang every time → RegistryTimeoutError', async () => {
    proxy.inject([{ kind: 'hang' }, { kind: 'hang' }]);
    const err = await client({ retries: 1, timeoutMs: 200 })
      .getManifest('faults/app', 'v1')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryTimeoutError);
    expect((err as Error).message).toMatch(/within 200 ms after 2 attempts/);
  });

  it('drop every time → RegistryConnectionError', async () => {
    proxy.inject([{ kind: 'drop' }, { kind: 'drop' }]);
    await expect(client({ retries: 1 }).getManifest('faults/app', 'v1')).rejects.toBeInstanceOf(
      RegistryConnectionError,
    );
  });

  it('nothing listening → RegistryUnreachableError, not retried', async () => {
    const port = await freePort();
    const c = client({ endpoint: `http://127.0.0.1:${port}` });
    await expect(c.ping()).rejects.toBeInstanceOf(RegistryUnreachableError);
    expect(c.stats.requests).toBe(1);
  });

  it('a 404 is not retried', async () => {
    const c = client();
    await expect(c.getManifest('faults/app', 'missing')).rejects.toBeInstanceOf(NotFoundError);
    expect(c.stats.requests).toBe(1);
  });

  it('a caller abort stops at once', async () => {
    proxy.inject([{ kind: 'hang' }]);
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('cancelled by caller')), 100);
    await expect(
      client({ timeoutMs: 5000 }).getManifest('faults/app', 'v1', { signal: ac.signal }),
    ).rejects.toThrow('cancelled by caller');
  });
});
