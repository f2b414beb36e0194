import { describe, expect, it } from 'vitest';
import { UnavailableError, UnreachableError } from '../../domain/errors.js';
import { Redactor } from '../../logging/redactor.js';
import {
  getWithRetry,
  PeerTimeoutError,
  RateLimitedError,
  retryAfterMs,
  type PeerHttpOptions,
} from './http.js';

function options(
  responses: (() => Response)[],
  waits: number[],
  over: Partial<PeerHttpOptions> = {},
): PeerHttpOptions {
  let i = 0;
  return {
    service: 'Peer',
    fetch: () => {
      const next = responses[Math.min(i++, responses.length - 1)];
      if (!next) throw new Error('no response scripted');
      return Promise.resolve(next());
    },
    timeoutMs: 1000,
    retry: { maxAttempts: 3, maxWaitMs: 5000 },
    redactor: new Redactor(),
    throttle: (res) => (res.status === 429 ? { waitMs: undefined } : undefined),
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
    ...over,
  };
}

const url = new URL('http://peer.test/x');

describe('getWithRetry', () => {
  it('waits what Retry-After asks, then returns the answer', async () => {
    const waits: number[] = [];
    const res = await getWithRetry(
      url,
      {},
      'x',
      options(
        [
          () => new Response('{}', { status: 429, headers: { 'retry-after': '2' } }),
          () => new Response('ok', { status: 200 }),
        ],
        waits,
      ),
    );
    expect(res).toMatchObject({ status: 200, text: 'ok' });
    expect(waits).toEqual([2000]);
  });

  it('backs off without a hint, and gives up after maxAttempts with a RateLimitedError', async () => {
    const waits: number[] = [];
    const err = await getWithRetry(
      url,
      {},
      'x',
      options([() => new Response('', { status: 429 })], waits),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as Error).message).toMatch(/rate-limiting.*tried 3 times/);
    expect(waits).toEqual([500, 1000]);
  });

  it('does not wait at all when asked to wait longer than the cap', async () => {
    const waits: number[] = [];
    const err = await getWithRetry(
      url,
      {},
      'x',
      options([() => new Response('', { status: 429, headers: { 'retry-after': '3600' } })], waits),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAt).toBeInstanceOf(Date);
    expect(waits).toEqual([]);
  });

  it('retries a 503 and reports it as unavailable when it persists', async () => {
    const waits: number[] = [];
    const err = await getWithRetry(
      url,
      {},
      'x',
      options([() => new Response('', { status: 503 })], waits),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err).not.toBeInstanceOf(RateLimitedError);
    expect(waits).toHaveLength(2);
  });

  it('returns other statuses untouched for the caller to classify', async () => {
    const res = await getWithRetry(url, {}, 'x', options([() => new Response('nope', { status: 404 })], []));
    expect(res.status).toBe(404);
  });

  it('turns a refused connection into UnreachableError and a timeout into PeerTimeoutError', async () => {
    const refused = options([], [], {
      fetch: () =>
        Promise.reject(
          new TypeError('fetch failed', {
            cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
          }),
        ),
    });
    await expect(getWithRetry(url, {}, 'x', refused)).rejects.toThrow(UnreachableError);
    const slow = options([], [], {
      fetch: () =>
        Promise.reject(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    });
    await expect(getWithRetry(url, {}, 'x', slow)).rejects.toThrow(PeerTimeoutError);
  });

  it('refuses credentials in the URL', async () => {
    await expect(getWithRetry(new URL('http://u:p@peer.test/'), {}, 'x', options([], []))).rejects.toThrow(
      /credentials/,
    );
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': '7' }), now)).toBe(7000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Mon, 01 Jan 2024 00:00:30 GMT' }), now)).toBe(30_000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(retryAfterMs(new Headers(), now)).toBeUndefined();
  });
});
