import { describe, expect, it } from 'vitest';
import { backoffMs, parseRetryAfter } from './retry.js';

describe('backoffMs', () => {
  it('doubles from the base and stops at the cap', () => {
    const p = { baseMs: 250, maxMs: 8_000, jitter: 'none' } as const;
    expect([0, 1, 2, 3, 4, 5, 6, 40].map((n) => backoffMs(p, n))).toEqual([
      250, 500, 1000, 2000, 4000, 8000, 8000, 8000,
    ]);
  });

  it('full jitter is uniform in [0, delay]', () => {
    const p = { baseMs: 100, maxMs: 1_000, jitter: 'full' } as const;
    expect(backoffMs(p, 2, () => 0)).toBe(0);
    expect(backoffMs(p, 2, () => 0.5)).toBe(200);
    expect(backoffMs(p, 9, () => 0.999)).toBe(999);
  });

  it('equal jitter is uniform in [delay/2, delay]', () => {
    const p = { baseMs: 100, maxMs: 1_000, jitter: 'equal' } as const;
    expect(backoffMs(p, 2, () => 0)).toBe(200);
    expect(backoffMs(p, 2, () => 0.5)).toBe(300);
    expect(backoffMs(p, 9, () => 0.999)).toBe(1000);
  });

  it('treats a negative retry number as the first retry', () => {
    expect(backoffMs({ baseMs: 2000, maxMs: 300_000, jitter: 'none' }, -1)).toBe(2000);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, and nothing else', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(' 7 ')).toBe(7000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter(new Date(1_000).toUTCString(), 4000)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter('')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
