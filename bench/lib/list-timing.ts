import { api, type ServerHandle } from '../../test/helpers/imagetrail.js';
import { ms, ratio, summarize } from './stats.js';

/** One list query's timings: its label, the items of its first page, each request's ms. */
export interface Measured {
  query: string;
  items: number;
  samples: number[];
}

/** `runs` timed GETs of `path` after `warmups` untimed ones; each must answer 200. */
async function timeGet(
  s: ServerHandle,
  path: string,
  runs: number,
  warmups: number,
): Promise<{ samples: number[]; items: number }> {
  const samples: number[] = [];
  let items = 0;
  for (let i = 0; i < runs + warmups; i++) {
    const t0 = performance.now();
    const r = await api(s, 'GET', path);
    const t = performance.now() - t0;
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.text.slice(0, 500)}`);
    items = (r.json as { items?: unknown[] }).items?.length ?? 0;
    if (i >= warmups) samples.push(t);
  }
  return { samples, items };
}

/**
 * Times each `[label, path]` about `runs` times in 5 rounds, round-robin over the queries so drift in
 * machine load hits all of them alike; `warmups(round)` untimed requests precede each query's turn.
 */
export async function measureRoundRobin(
  s: ServerHandle,
  queries: ReadonlyArray<readonly [string, string]>,
  runs: number,
  warmups: (round: number) => number,
): Promise<Measured[]> {
  const out: Measured[] = queries.map(([query]) => ({ query, items: 0, samples: [] }));
  const rounds = 5;
  for (let r = 0; r < rounds; r++) {
    for (let q = 0; q < queries.length; q++) {
      const m = await timeGet(s, queries[q]![1], Math.ceil(runs / rounds), warmups(r));
      out[q]!.samples.push(...m.samples);
      out[q]!.items = m.items;
    }
  }
  return out;
}

/** A query's row: label, items (none for the reference), n, p50, p95, and both as ratios to `ref`. */
export function latencyRow(m: Measured, ref: { p50: number; p95: number }): Array<string | number> {
  const x = summarize(m.samples);
  return [
    m.query,
    m.query.includes('healthz') ? '—' : m.items,
    x.n,
    ms(x.p50),
    ms(x.p95),
    ratio(x.p50, ref.p50),
    ratio(x.p95, ref.p95),
  ];
}
