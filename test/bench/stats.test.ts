import { describe, expect, it } from 'vitest';
import { median, pairedRatioInterval } from '../../bench/lib/stats.js';

describe('pairedRatioInterval (bench statistics)', () => {
  it('is a point when every pair has the same ratio', () => {
    const b = Array.from({ length: 50 }, (_, i) => 60 + i);
    const a = b.map((x) => x * 0.75);
    const [lo, hi] = pairedRatioInterval(a, b);
    expect(lo).toBeCloseTo(0.75, 10);
    expect(hi).toBeCloseTo(0.75, 10);
  });

  it('holds the samples’ own p50 ratio, narrows with more pairs, and is the same for the same seed', () => {
    // Spread like the (b) rows: about 70 ms bare, 52 ms through the agent, a few ms either way.
    let s = 7;
    const noise = () => ((s = (s * 48271) % 2147483647) / 2147483647 - 0.5) * 12;
    const pairs = (n: number) => Array.from({ length: n }, () => [52 + noise(), 70 + noise()] as const);
    const width = (p: ReadonlyArray<readonly [number, number]>) => {
      const [lo, hi] = pairedRatioInterval(
        p.map((x) => x[0]),
        p.map((x) => x[1]),
      );
      const r = median(p.map((x) => x[0])) / median(p.map((x) => x[1]));
      expect(lo).toBeLessThanOrEqual(r);
      expect(hi).toBeGreaterThanOrEqual(r);
      return hi - lo;
    };
    const few = pairs(30);
    const many = pairs(300);
    expect(width(many)).toBeLessThan(width(few));
    const a = few.map((x) => x[0]);
    const b = few.map((x) => x[1]);
    expect(pairedRatioInterval(a, b)).toEqual(pairedRatioInterval(a, b));
    expect(pairedRatioInterval(a, b, 2000, 2)).not.toEqual(pairedRatioInterval(a, b, 2000, 1));
  });

  it('keeps pairs together: a load shared by both halves of a pair does not widen it', () => {
    // Each pair is slowed by the same factor; the ratio within a pair never moves.
    const load = Array.from({ length: 60 }, (_, i) => 1 + (i % 7) * 0.1);
    const a = load.map((f) => 50 * f);
    const b = load.map((f) => 70 * f);
    const [lo, hi] = pairedRatioInterval(a, b);
    expect(hi - lo).toBeLessThan(0.01);
  });
});
