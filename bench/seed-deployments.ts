import { sql, type Insertable, type Kysely } from 'kysely';
import type { Database, DeploymentIntervalsTable } from '../src/store/schema.js';

/**
 * Deployment intervals over already seeded images (bench/seed-images.ts), for the image list's deployment
 * filters: `open` images run now — one per workload, 20 namespaces, 5 workloads per Argo CD application
 * (`app-0` …), spread over 3 runtimes (`eks-0` …) — and `closed` other images ran before (history). The
 * images are a random sample of the table, so the running ones are spread over the list's order.
 */

export interface DeploymentSeed {
  open: number;
  closed: number;
  ms: number;
}

const ROWS_PER_INSERT = 250;

export async function seedDeployments(
  db: Kysely<Database>,
  opts: { open: number; closed: number },
): Promise<DeploymentSeed> {
  const began = performance.now();
  const sample = await db
    .selectFrom('images')
    .select(['registry', 'repository', 'digest'])
    .orderBy(sql`random()`)
    .limit(opts.open + opts.closed)
    .execute();
  const at = '2026-01-01T00:00:00.000Z';
  const rows: Array<Insertable<DeploymentIntervalsTable>> = sample.map((img, i) => {
    const open = i < opts.open;
    const w = open ? i : i - opts.open;
    return {
      id: `dep_seed_${String(i).padStart(9, '0')}`,
      runtime: `eks-${w % 3}`,
      namespace: `ns-${w % 20}`,
      workload_kind: 'Deployment',
      workload_name: `svc-${w}${open ? '' : `-old-${i}`}`,
      application: `app-${Math.floor(w / 5)}`,
      registry: img.registry,
      repository: img.repository,
      digest: img.digest,
      image: null,
      replicas: 3,
      first_seen_at: at,
      last_seen_at: at,
      ended_at: open ? null : '2026-01-01T01:00:00.000Z',
      app: null,
      updated_at: at,
    };
  });
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT)
    await db
      .insertInto('deployment_intervals')
      .values(rows.slice(i, i + ROWS_PER_INSERT))
      .execute();
  await sql`ANALYZE`.execute(db);
  return {
    open: Math.min(opts.open, rows.length),
    closed: Math.max(0, rows.length - opts.open),
    ms: performance.now() - began,
  };
}
