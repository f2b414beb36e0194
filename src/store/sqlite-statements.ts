import type SqliteDatabase from 'better-sqlite3';
import type { SqliteDatabase as KyselySqliteDatabase, SqliteStatement } from 'kysely';

/** How many distinct statements one database keeps compiled (texts differ only with `IN` list lengths). */
export const MAX_CACHED_STATEMENTS = 256;

/** The database as Kysely's SQLite dialect takes it, and how often it compiled a statement (tests, benches). */
export interface StatementCachingDatabase extends KyselySqliteDatabase {
  readonly compiled: () => number;
}

/**
 * better-sqlite3 for Kysely, with its compiled statements kept. Kysely's driver prepares every query anew,
 * so SQLite parses and plans the claim, the completion and each recording statement on every call (tens
 * to hundreds of µs each, on the report's path); a compiled statement runs again with new parameters.
 * Kept by SQL text, least recently used out first. A statement an open iterator is still reading (a
 * streamed query) is busy and cannot run twice at once: such a caller gets a fresh one. SQLite recompiles
 * a kept statement itself when the schema changed under it.
 */
export function cachingStatements(
  sqlite: SqliteDatabase.Database,
  max = MAX_CACHED_STATEMENTS,
): StatementCachingDatabase {
  const kept = new Map<string, SqliteDatabase.Statement>();
  let compiled = 0;
  const compile = (sql: string) => {
    compiled++;
    return sqlite.prepare(sql);
  };
  return {
    close: () => {
      kept.clear();
      sqlite.close();
    },
    prepare(sql: string): SqliteStatement {
      const hit = kept.get(sql);
      if (hit?.busy) return compile(sql);
      const stmt = hit ?? compile(sql);
      // Re-inserted so the Map's order is the order of last use.
      kept.delete(sql);
      kept.set(sql, stmt);
      if (kept.size > max) kept.delete(kept.keys().next().value!);
      return stmt;
    },
    compiled: () => compiled,
  };
}
