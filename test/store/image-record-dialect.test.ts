import Sqlite from 'better-sqlite3';
import {
  Kysely,
  PostgresDialect,
  PostgresIntrospector,
  SqliteDialect,
  SqliteIntrospector,
  type Dialect,
} from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { DialectName } from '../../src/store/database.js';
import type { Database } from '../../src/store/schema.js';
import { SqlImageStore } from '../../src/store/sql-image-store.js';
import { eachDatabase, useTestDatabase } from '../helpers/databases.js';
import { digest, enrichmentRecord } from '../helpers/enrichment-record.js';

// Recording an enrichment takes its statements from the store's dialect, as the rest of the store does,
// not from the class of Kysely's introspector: a dialect from another package (an instrumenting wrapper,
// another driver) may bring an introspector of its own.

/** The engine's dialect, with its own introspector or the other engine's. */
function dialectOf(engine: DialectName, url: string, introspector: 'own' | 'foreign'): Dialect {
  const base =
    engine === 'postgres'
      ? new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) })
      : new SqliteDialect({ database: new Sqlite(url.replace(/^sqlite:/, '')) });
  if (introspector === 'own') return base;
  return {
    createAdapter: () => base.createAdapter(),
    createDriver: () => base.createDriver(),
    createQueryCompiler: () => base.createQueryCompiler(),
    createIntrospector: (db) =>
      engine === 'postgres' ? new SqliteIntrospector(db) : new PostgresIntrospector(db),
  };
}

describe.each(eachDatabase())('recording an enrichment (%s)', (engine) => {
  const database = useTestDatabase(engine);

  it('follows the store’s dialect whatever introspector the Kysely instance has', async () => {
    const sent = { own: [] as string[], foreign: [] as string[] };
    for (const [n, kind] of [[1, 'own'] as const, [2, 'foreign'] as const]) {
      const log = sent[kind];
      const db = new Kysely<Database>({
        dialect: dialectOf(engine, database().url, kind),
        log: (e) => void log.push(e.query.sql.replace(/\$\d+|\?/g, '?')),
      });
      try {
        const store = new SqlImageStore({ db, dialect: engine });
        const record = (reportId: string) =>
          enrichmentRecord({ reportId, runtime: 'local' }, { digest: digest(n) });
        await store.recordEnrichment(record(`rep_${n}a`));
        // The second recording of an image refreshes its copies and replaces its children: the statements
        // that differ between the engines.
        log.length = 0;
        await store.recordEnrichment(record(`rep_${n}b`));
      } finally {
        await db.destroy();
      }
    }
    expect(sent.own.length).toBeGreaterThan(0);
    expect(sent.foreign).toEqual(sent.own);
  });
});
