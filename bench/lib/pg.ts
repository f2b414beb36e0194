import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Maintenance connection for creating and dropping benchmark databases. */
export const PG_ADMIN_URL =
  process.env['IMAGETRAIL_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchPg {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh, empty database `imagetrail_bench_<random>`; `drop()` removes it. */
export async function createBenchDatabase(): Promise<BenchPg> {
  const name = `imagetrail_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
