import { createRequire } from 'node:module';
import type SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { cachingStatements, type StatementCachingDatabase } from '../../src/store/sqlite-statements.js';

const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof SqliteDatabase;

interface Db {
  t: { id: number; name: string };
}

let open: Array<Kysely<Db>> = [];
afterEach(async () => {
  await Promise.all(open.map((db) => db.destroy()));
  open = [];
});

/** A real in-memory SQLite behind Kysely through the caching wrapper, with rows 1..3. */
async function kyselyWith(max?: number): Promise<{ db: Kysely<Db>; wrapped: StatementCachingDatabase }> {
  const wrapped = cachingStatements(new Sqlite(':memory:'), max);
  const db = new Kysely<Db>({ dialect: new SqliteDialect({ database: wrapped }) });
  open.push(db);
  await sql`create table t (id integer primary key, name text not null)`.execute(db);
  await db
    .insertInto('t')
    .values([1, 2, 3].map((id) => ({ id, name: `n${id}` })))
    .execute();
  return { db, wrapped };
}

const byId = (db: Kysely<Db>, id: number) =>
  db.selectFrom('t').select('name').where('id', '=', id).executeTakeFirst();

describe('SQLite statement cache', () => {
  it('compiles a query once and runs it again with new parameters', async () => {
    const { db, wrapped } = await kyselyWith();
    const before = wrapped.compiled();
    expect(await byId(db, 1)).toEqual({ name: 'n1' });
    expect(await byId(db, 2)).toEqual({ name: 'n2' });
    expect(await byId(db, 3)).toEqual({ name: 'n3' });
    expect(wrapped.compiled() - before).toBe(1);
    // Writes through a kept statement: run() and its change count, again with new parameters.
    for (const id of [1, 2]) {
      const r = await db.updateTable('t').set({ name: 'x' }).where('id', '=', id).executeTakeFirst();
      expect(r.numUpdatedRows).toBe(1n);
    }
    expect(wrapped.compiled() - before).toBe(2);
  });

  it('keeps at most `max` statements, least recently used out first', async () => {
    const { db, wrapped } = await kyselyWith(2);
    const a = () => byId(db, 1);
    const b = () => db.selectFrom('t').select('id').where('name', '=', 'n2').execute();
    const c = () => db.selectFrom('t').select(['id', 'name']).orderBy('id').execute();
    await a();
    await b();
    const n = wrapped.compiled();
    await a(); // a is now the most recent: c pushes b out
    await c();
    await a();
    expect(wrapped.compiled() - n).toBe(1);
    await b();
    expect(wrapped.compiled() - n).toBe(2);
  });

  it('runs a statement again after a stream of it was broken off', async () => {
    const { db, wrapped } = await kyselyWith();
    const q = db.selectFrom('t').select('id').where('id', '>', 0).orderBy('id');
    for await (const row of q.stream()) if (row.id === 1) break;
    // An abandoned iterator still holding the kept statement would make this throw "busy".
    expect((await q.execute()).map((r) => r.id)).toEqual([1, 2, 3]);
    expect(wrapped.compiled()).toBe(3);
  });

  it('sees a column added after the statement was kept', async () => {
    const { db } = await kyselyWith();
    const all = () => sql<Record<string, unknown>>`select * from t where id = ${1}`.execute(db);
    expect((await all()).rows[0]).toEqual({ id: 1, name: 'n1' });
    await sql`alter table t add column extra text not null default 'e'`.execute(db);
    expect((await all()).rows[0]).toEqual({ id: 1, name: 'n1', extra: 'e' });
  });
});
