import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { InputError, UnavailableError } from '../domain/errors.js';
import type { Redactor } from '../logging/redactor.js';
import type { Database } from './schema.js';
import { cachingStatements } from './sqlite-statements.js';

export type DialectName = 'sqlite' | 'postgres';

export interface OpenDatabaseOptions {
  /** PostgreSQL pool size. Default 10: the server is I/O-bound and PostgreSQL defaults to 100 connections in all. */
  poolMax?: number;
  /** How long SQLite waits for a lock held by another connection or process before failing. */
  busyTimeoutMs?: number;
  /** The password in a PostgreSQL URL is registered here so it cannot reach logs or errors. */
  redactor?: Redactor;
  /** Pool errors of idle PostgreSQL connections (server restart, network drop); they must not crash the process. */
  onPoolError?: (err: Error) => void;
}

export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: DialectName;
  /** Closes the pool or the SQLite file; the handle is unusable afterwards. */
  close(): Promise<void>;
}

export type DatabaseLocation =
  | { dialect: 'sqlite'; file: string }
  | { dialect: 'postgres'; connectionString: string; password?: string; display: string };

const EXAMPLES = [
  'sqlite:.imagetrail/imagetrail.db',
  'sqlite::memory:',
  'postgres://imagetrail@db.example.com:5432/imagetrail',
];

function badUrl(message: string, cause?: unknown): InputError {
  return new InputError(message, {
    cause,
    hints: [
      `Use a database URL such as ${EXAMPLES.join(', ')} (put a PostgreSQL password in PGPASSWORD or ~/.pgpass, not in argv).`,
    ],
  });
}

/** A URL with its password (and anything unparseable) hidden, safe for messages and logs. */
export function displayDatabaseUrl(url: string): string {
  if (url.startsWith('sqlite:')) return url;
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0];
  if (scheme && url.startsWith(`${scheme}//`)) {
    try {
      const u = new URL(url);
      if (u.password) u.password = '***';
      return u.toString();
    } catch {
      // fall through: unparseable, so any part of it may be a credential
    }
  }
  return scheme ? `${scheme}…` : '(unparseable)';
}

/** Parses `sqlite:<file>`, `sqlite::memory:`, `sqlite:///abs/file` or `postgres(ql)://…`. Throws InputError. */
export function parseDatabaseUrl(url: string): DatabaseLocation {
  if (url.startsWith('sqlite:')) {
    let file = url.slice('sqlite:'.length);
    // `sqlite:///var/lib/x.db` is the common URL spelling of an absolute path.
    if (file.startsWith('//')) file = file.slice(2);
    if (file === '') throw badUrl('database URL "sqlite:" names no file');
    return { dialect: 'sqlite', file };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    let u: URL;
    try {
      u = new URL(url);
    } catch (err) {
      throw badUrl(`database URL "${displayDatabaseUrl(url)}" is not a valid PostgreSQL URL`, err);
    }
    if (!u.hostname && !u.searchParams.get('host')) {
      throw badUrl(`database URL "${displayDatabaseUrl(url)}" names no host`);
    }
    const password = u.password ? decodeURIComponent(u.password) : undefined;
    return { dialect: 'postgres', connectionString: url, password, display: displayDatabaseUrl(url) };
  }
  throw badUrl(
    `unsupported database URL "${displayDatabaseUrl(url)}": it must start with sqlite: or postgres://`,
  );
}

/**
 * Opens the store. Nothing is migrated here (see `migrateToLatest`); a PostgreSQL pool connects lazily, so
 * an unreachable server shows up on the first query as an UnavailableError from the caller's side.
 */
export function openDatabase(url: string, opts: OpenDatabaseOptions = {}): DatabaseHandle {
  const loc = parseDatabaseUrl(url);
  return loc.dialect === 'sqlite' ? openSqlite(loc.file, opts) : openPostgres(loc, opts);
}

/**
 * better-sqlite3 is a native addon and an optional dependency of the package (the CI-side commands never
 * need it), so it is loaded only when a SQLite store is opened, with a clear error when it is absent.
 */
function loadSqlite(): typeof SqliteDatabase {
  try {
    return createRequire(import.meta.url)('better-sqlite3') as typeof SqliteDatabase;
  } catch (err) {
    throw new UnavailableError('the SQLite driver (better-sqlite3) is not installed', {
      cause: err,
      hints: [
        'It is an optional dependency: install it next to imagetrail (npm install better-sqlite3),',
        'or use PostgreSQL: --database postgres://USER@HOST:5432/DB.',
      ],
    });
  }
}

function openSqlite(file: string, opts: OpenDatabaseOptions): DatabaseHandle {
  const memory = file === ':memory:';
  const Sqlite = loadSqlite();
  let sqlite: SqliteDatabase.Database;
  try {
    if (!memory) mkdirSync(dirname(file), { recursive: true });
    sqlite = new Sqlite(file);
  } catch (err) {
    throw new UnavailableError(`cannot open the SQLite database ${file}`, {
      cause: err,
      hints: ['Check that the data directory exists and is writable by the user running imagetrail.'],
    });
  }
  // WAL lets readers run while one writer writes; NORMAL sync is durable across app crashes in WAL mode.
  if (!memory) sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma(`busy_timeout = ${Math.max(0, Math.trunc(opts.busyTimeoutMs ?? 5000))}`);
  // Off by default in SQLite; PostgreSQL always enforces them, and both engines must behave alike.
  sqlite.pragma('foreign_keys = ON');

  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(sqlite) }) });
  return {
    db,
    dialect: 'sqlite',
    close: () => db.destroy(),
  };
}

function openPostgres(
  loc: Extract<DatabaseLocation, { dialect: 'postgres' }>,
  opts: OpenDatabaseOptions,
): DatabaseHandle {
  opts.redactor?.register(loc.password);
  const pool = new pg.Pool({
    connectionString: loc.connectionString,
    max: opts.poolMax ?? 10,
    // Fail a query after 10 s rather than hanging a request on an unreachable server.
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    application_name: 'imagetrail',
  });
  // Without a listener, an idle client's error (server restart) is an uncaught 'error' event and kills the process.
  pool.on('error', (err) => opts.onPoolError?.(err));
  // A checked-out client whose connection drops between two queries emits 'error' on itself, not on the
  // pool; the pool discards the dead client when it is released.
  pool.on('connect', (client) => {
    client.on('error', (err) => opts.onPoolError?.(err));
    // Every query here reads a page by index; a parallel plan only adds its workers' start-up (≈ 50 ms on
    // 2 cores, measured on the 1M-image list filters in docs/benchmarks.md). Queued before any other query.
    client.query('SET max_parallel_workers_per_gather = 0').catch((err: Error) => opts.onPoolError?.(err));
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    close: () => db.destroy(),
  };
}
