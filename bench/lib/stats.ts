/** Small statistics for benchmark samples (milliseconds unless said otherwise). */

export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const s = [...samples].sort((a, b) => a - b);
  // Linear interpolation between closest ranks.
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo]! + (s[hi]! - s[lo]!) * (rank - lo);
}

export const median = (samples: number[]): number => percentile(samples, 50);

export function mean(samples: number[]): number {
  return samples.reduce((a, b) => a + b, 0) / samples.length;
}

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  min: number;
  max: number;
}

export function summarize(samples: number[]): Summary {
  return {
    n: samples.length,
    p50: median(samples),
    p95: percentile(samples, 95),
    min: Math.min(...samples),
    max: Math.max(...samples),
  };
}

/** `12.3 ms` with a sensible number of digits. */
export function ms(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  return v >= 100 ? `${v.toFixed(0)} ms` : v >= 10 ? `${v.toFixed(1)} ms` : `${v.toFixed(2)} ms`;
}

export function ratio(a: number, b: number): string {
  return Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : 'n/a';
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** A Markdown table. */
export function table(head: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.map(String).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

export function verdict(ok: boolean): string {
  return ok ? 'within budget' : '**over budget**';
}

/**
 * The mean of the middle `1 − 2·cut` of the samples: steadier than the mean against a stray outlier, and
 * finer than a median of whole-millisecond values (their truncation errors average out).
 */
export function trimmedMean(samples: number[], cut = 0.1): number {
  const s = [...samples].sort((a, b) => a - b);
  const k = Math.floor(s.length * cut);
  return mean(s.slice(k, s.length - k));
}

/** A seeded generator (mulberry32) in [0, 1): the same samples give the same interval on every run. */
function seeded(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let x = Math.imul(t ^ (t >>> 15), t | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A 95 % percentile-bootstrap interval of p50(a) / p50(b) for paired samples (a[i] and b[i] measured
 * together): pairs are resampled whole, so what the machine did to both at once stays together. It says
 * how far one run's ratio could move from sampling alone, not how the machine's load moves it between runs.
 */
export function pairedRatioInterval(a: number[], b: number[], resamples = 2000, seed = 1): [number, number] {
  const n = Math.min(a.length, b.length);
  if (n === 0) return [NaN, NaN];
  const next = seeded(seed);
  const ratios: number[] = [];
  const ra = new Array<number>(n);
  const rb = new Array<number>(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) {
      const k = Math.floor(next() * n);
      ra[i] = a[k]!;
      rb[i] = b[k]!;
    }
    ratios.push(median(ra) / median(rb));
  }
  return [percentile(ratios, 2.5), percentile(ratios, 97.5)];
}
