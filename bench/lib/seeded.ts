import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import * as z from 'zod';
import { openDatabase } from '../../src/store/database.js';
import { migrateToLatest, migrations } from '../../src/store/migrations/index.js';
import { seedImages, type SeedResult } from '../seed-images.js';
import { benchDatabaseComment, createBenchDatabase, setBenchDatabaseComment, type BenchPg } from './pg.js';

/** Values of the seeded data that each list filter can be asked with. */
export interface FilterValues {
  repository: string;
  tag: string;
  registry: string;
  branch: string;
  commit: string;
  issue: string;
}

export interface Seeded {
  seed: SeedResult;
  filters: FilterValues;
}

async function seedInto(url: string, count: number, log?: (m: string) => void): Promise<Seeded> {
  const handle = openDatabase(url);
  try {
    await migrateToLatest(handle.db);
    const step = Math.max(1, Math.round(count / 10));
    const seed = await seedImages(handle.db, count, {
      progress: (n) => (n % step === 0 || n === count ? log?.(`seeded ${n} images`) : undefined),
    });
    // Fresh planner statistics and visibility map, as autovacuum gives a long-lived store (index-only
    // scans skip the heap only for pages the visibility map marks all-visible).
    await sql.raw(handle.dialect === 'postgres' ? 'VACUUM ANALYZE' : 'ANALYZE').execute(handle.db);
    // A commit from the middle of the data, so the prefix filter is not trivially the newest row.
    const mid = await handle.db
      .selectFrom('builds')
      .select('git_sha')
      .where('id', '=', `bld_seed${seed.run}${String(Math.floor(count / 2)).padStart(9, '0')}`)
      .executeTakeFirstOrThrow();
    return {
      seed,
      filters: {
        repository: 'team-3/service-3',
        tag: 'latest',
        registry: 'ghcr.io',
        branch: 'feature/f-7',
        commit: (mid.git_sha ?? '').slice(0, 12),
        issue: 'SEED-41',
      },
    };
  } finally {
    await handle.close();
  }
}

/** A data directory whose SQLite store (`imagetrail.db`, where `serve` looks) holds `count` seeded images. */
export async function seededSqliteDataDir(count: number): Promise<Seeded & { dataDir: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'imagetrail-bench-data-'));
  return { dataDir, ...(await seedInto(`sqlite:${join(dataDir, 'imagetrail.db')}`, count)) };
}

/** What a kept database's comment records: its seed, for the schema it was seeded under. */
const KeptSeed = z.object({
  rows: z.number(),
  migration: z.string(),
  seed: z.object({
    images: z.number(),
    tags: z.number(),
    builds: z.number(),
    buildIssues: z.number(),
    ms: z.number(),
    run: z.string(),
  }),
  filters: z.object({
    repository: z.string(),
    tag: z.string(),
    registry: z.string(),
    branch: z.string(),
    commit: z.string(),
    issue: z.string(),
  }),
});

/**
 * What an earlier run's server wrote at start (its keys' pins, its admin token) goes, so a new server with a
 * fresh data directory starts on the kept images as on a new store.
 */
async function forgetServers(url: string): Promise<void> {
  const handle = openDatabase(url);
  try {
    await handle.db.deleteFrom('recipient_pins').execute();
    await handle.db.deleteFrom('api_tokens').execute();
  } finally {
    await handle.close();
  }
}

/** Set to keep (and reuse) the seeded PostgreSQL databases of the list benchmark across runs. */
export const KEEP_DB_ENV = 'IMAGETRAIL_BENCH_KEEP_DB';

/**
 * A PostgreSQL database holding `count` seeded images: fresh (dropped by `db.drop()`), or, when
 * IMAGETRAIL_BENCH_KEEP_DB is set, `imagetrail_bench_list_<count>`, reused if an earlier run seeded it
 * completely under the current schema (its comment says so, written last) and kept afterwards (`drop()`
 * does nothing), so the timed part can run alone at a quiet moment. `reused` says which.
 */
export async function seededPostgres(
  count: number,
  log?: (m: string) => void,
): Promise<Seeded & { db: BenchPg; reused: boolean }> {
  const latest = Object.keys(migrations).at(-1) ?? '';
  if (process.env[KEEP_DB_ENV]) {
    const name = `imagetrail_bench_list_${count}`;
    const found = await benchDatabaseComment(name);
    const kept = KeptSeed.safeParse(JSON.parse(found?.comment ?? 'null'));
    const keep = (db: BenchPg): BenchPg => ({ ...db, drop: () => Promise.resolve() });
    if (found && kept.success && kept.data.rows === count && kept.data.migration === latest) {
      log?.(`reusing the seeded database ${name}`);
      await forgetServers(found.db.url);
      return { db: keep(found.db), seed: kept.data.seed, filters: kept.data.filters, reused: true };
    }
    await found?.db.drop();
    const db = await createBenchDatabase(name);
    const seeded = await seedInto(db.url, count, log);
    await setBenchDatabaseComment(db, JSON.stringify({ rows: count, migration: latest, ...seeded }));
    return { db: keep(db), ...seeded, reused: false };
  }
  const db = await createBenchDatabase();
  try {
    return { db, ...(await seedInto(db.url, count, log)), reused: false };
  } catch (err) {
    await db.drop();
    throw err;
  }
}
