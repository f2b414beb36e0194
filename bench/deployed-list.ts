import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { openDatabase } from '../src/store/database.js';
import { startImagetrail, type ServerHandle } from '../test/helpers/imagetrail.js';
import { latencyRow, measureRoundRobin, type Measured } from './lib/list-timing.js';
import { seededPostgres, seededSqliteDataDir } from './lib/seeded.js';
import { ratio, summarize, table } from './lib/stats.js';
import type { Benchmark, BenchContext } from './lib/types.js';
import { seedDeployments, type DeploymentSeed } from './seed-deployments.js';

/**
 * Issue 13: the image list's deployment filters at 100k images — `deployed=true`, `application=`,
 * `namespace=`, `runtime=`, `deployed=false` — through the HTTP API, next to the unfiltered first page and
 * `GET /healthz` of the same run. 300 images run now (5,000 pods / 300 workloads), 3,000 ran before.
 */

const ROWS = 100_000;
const OPEN = 300;
const CLOSED = 3000;

const QUERIES: Array<[string, string]> = [
  ['`GET /healthz` (reference)', '/healthz'],
  ['no filter', '/api/v1/images'],
  ['deployed=true', '/api/v1/images?deployed=true'],
  ['application=app-7', '/api/v1/images?application=app-7'],
  ['namespace=ns-3', '/api/v1/images?namespace=ns-3'],
  ['runtime=eks-1', '/api/v1/images?runtime=eks-1'],
  ['deployed=false', '/api/v1/images?deployed=false'],
];

/** Two untimed warm-ups before each query's turn in every round. */
const measure = (s: ServerHandle, runs: number) => measureRoundRobin(s, QUERIES, runs, () => 2);

interface Result {
  engine: string;
  seedMs: number;
  deployments: DeploymentSeed;
  measured: Measured[];
  /** 1-minute load average before and after the measurement (the machine is shared). */
  load: [number, number];
}

function markdown(r: Result, runs: number): string {
  const ref = summarize(r.measured[0]!.samples);
  const base = summarize(r.measured[1]!.samples);
  return [
    `### ${r.engine}, ${ROWS.toLocaleString('en-US')} images (seeded in ${(r.seedMs / 1000).toFixed(0)} s), ` +
      `${r.deployments.open} running, ${r.deployments.closed} ended intervals`,
    '',
    table(
      [
        'query (first page, limit 50)',
        'items',
        'n',
        'p50',
        'p95',
        'p50 / healthz',
        'p95 / healthz',
        'p50 / no filter',
      ],
      r.measured.map((m) => [
        ...latencyRow(m, ref),
        m.query.includes('healthz') ? '—' : ratio(summarize(m.samples).p50, base.p50),
      ]),
    ),
    '',
    `Each query ${runs} times (plus untimed warm-ups) in 5 round-robin rounds, sequential, admin token, against a running`,
    '`imagetrail serve`; `GET /healthz` is the same-run reference for one HTTP round trip. Images from',
    'bench/seed-images.ts; deployment intervals from bench/seed-deployments.ts over a random sample of them (one',
    'running image per workload, 20 namespaces, 5 workloads per application, 3 runtimes). The filters select',
    '`images.id in (…)` driven by the open intervals (migration 0011), not by the image count.',
    `Machine load (1-minute average, 2 cores shared with other engineers' jobs): ${r.load[0].toFixed(1)} before, ` +
      `${r.load[1].toFixed(1)} after the measurement — compare ratios, not milliseconds.`,
  ].join('\n');
}

async function loadAvg(): Promise<number> {
  const { loadavg } = await import('node:os');
  return loadavg()[0] ?? NaN;
}

async function runOn(engine: 'SQLite' | 'PostgreSQL', ctx: BenchContext, runs: number): Promise<Result> {
  ctx.log(`deployed-list: seeding ${ROWS} images into ${engine}`);
  if (engine === 'SQLite') {
    const lite = await seededSqliteDataDir(ROWS);
    try {
      const h = openDatabase(`sqlite:${join(lite.dataDir, 'imagetrail.db')}`);
      const deployments = await seedDeployments(h.db, { open: OPEN, closed: CLOSED }).finally(() =>
        h.close(),
      );
      return await serveAndMeasure({ dataDir: lite.dataDir }, engine, lite.seed.ms, deployments, runs);
    } finally {
      await rm(lite.dataDir, { recursive: true, force: true });
    }
  }
  const pg = await seededPostgres(ROWS);
  try {
    const h = openDatabase(pg.db.url);
    const deployments = await seedDeployments(h.db, { open: OPEN, closed: CLOSED }).finally(() => h.close());
    return await serveAndMeasure({ database: pg.db.url }, engine, pg.seed.ms, deployments, runs);
  } finally {
    await pg.db.drop();
  }
}

async function serveAndMeasure(
  opts: { dataDir?: string; database?: string },
  engine: string,
  seedMs: number,
  deployments: DeploymentSeed,
  runs: number,
): Promise<Result> {
  const s = await startImagetrail(opts);
  try {
    const before = await loadAvg();
    const measured = await measure(s, runs);
    return { engine, seedMs, deployments, measured, load: [before, await loadAvg()] };
  } finally {
    await s.stop();
  }
}

function bench(engine: 'SQLite' | 'PostgreSQL', name: string): Benchmark {
  return {
    name,
    title: `Image list with deployment filters at 100k images (${engine})`,
    async run(ctx) {
      const runs = ctx.quick ? 20 : 60;
      const r = await runOn(engine, ctx, runs);
      return {
        markdown: markdown(r, runs),
        data: { ...r, measured: r.measured.map((m) => ({ ...m, summary: summarize(m.samples) })) },
      };
    },
  };
}

export const deployedListBench = bench('SQLite', 'deployed-list');
export const deployedListPgBench = bench('PostgreSQL', 'deployed-list-pg');
