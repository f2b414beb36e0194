import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openDatabase } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrations/index.js';
import { seedImages, type SeedResult } from '../seed-images.js';
import { createBenchDatabase, type BenchPg } from './pg.js';

/** Values of the seeded data that each list filter can be asked with. */
export interface FilterValues {
  repository: string;
  tag: string;
  registry: string;
  branch: string;
  commit: string;
  issue: string;
}

async function seedInto(url: string, count: number): Promise<{ seed: SeedResult; filters: FilterValues }> {
  const handle = openDatabase(url);
  try {
    await migrateToLatest(handle.db);
    const seed = await seedImages(handle.db, count);
    // Fresh planner statistics, as autovacuum / a long-lived store would have them.
    await sql`ANALYZE`.execute(handle.db);
    // A commit from the middle of the data, so the prefix filter is not trivially the newest row.
    const mid = await handle.db
      .selectFrom('builds')
      .select('git_sha')
      .where('report_id', 'like', `%${String(Math.floor(count / 2)).padStart(9, '0')}`)
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
export async function seededSqliteDataDir(
  count: number,
): Promise<{ dataDir: string; seed: SeedResult; filters: FilterValues }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'imagetrail-bench-data-'));
  const { seed, filters } = await seedInto(`sqlite:${join(dataDir, 'imagetrail.db')}`, count);
  return { dataDir, seed, filters };
}

/** A fresh PostgreSQL database holding `count` seeded images. */
export async function seededPostgres(
  count: number,
): Promise<{ db: BenchPg; seed: SeedResult; filters: FilterValues }> {
  const db = await createBenchDatabase();
  try {
    const { seed, filters } = await seedInto(db.url, count);
    return { db, seed, filters };
  } catch (err) {
    await db.drop();
    throw err;
  }
}
