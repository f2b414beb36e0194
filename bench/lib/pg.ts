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

async function admin<T>(run: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    return await run(c);
  } finally {
    await c.end();
  }
}

function handle(name: string): BenchPg {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => admin(async (c) => void (await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))),
  };
}

/** A fresh, empty database (default `imagetrail_bench_<random>`); `drop()` removes it. */
export async function createBenchDatabase(
  name = `imagetrail_bench_${randomBytes(4).toString('hex')}`,
): Promise<BenchPg> {
  if (!/^imagetrail_bench_[a-z0-9_]+$/.test(name)) throw new Error(`not a benchmark database name: ${name}`);
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  return handle(name);
}

/** The comment of an existing benchmark database (what a kept database says it holds), or undefined if absent. */
export async function benchDatabaseComment(
  name: string,
): Promise<{ db: BenchPg; comment: string | null } | undefined> {
  const row = await admin(async (c) => {
    const r = await c.query<{ comment: string | null }>(
      `SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1`,
      [name],
    );
    return r.rows[0];
  });
  return row ? { db: handle(name), comment: row.comment } : undefined;
}

export async function setBenchDatabaseComment(db: BenchPg, comment: string): Promise<void> {
  await admin((c) => c.query(`COMMENT ON DATABASE ${db.name} IS ${pg.escapeLiteral(comment)}`));
}

/** Process ids of the PostgreSQL backends connected to `name` (for their CPU time; the server runs locally). */
export function backendPids(name: string): Promise<number[]> {
  return admin(async (c) => {
    const r = await c.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [name]);
    return r.rows.map((x) => x.pid);
  });
}

/** Committed + rolled-back transactions of database `name` so far (pg_stat_database). */
export function transactions(name: string): Promise<number> {
  return admin(async (c) => {
    const r = await c.query<{ n: string }>(
      'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1',
      [name],
    );
    return Number(r.rows[0]?.n ?? NaN);
  });
}
