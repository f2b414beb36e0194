import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/store/database.js';
import { migrateToLatest, migrations } from '../../src/store/migrations/index.js';

/**
 * Store tests run on both engines (DESIGN: "Every store test runs on both"):
 *
 *   describe.each(eachDatabase())('token store on %s', (engine) => {
 *     const database = useTestDatabase(engine);
 *     it('…', async () => { const { db } = database(); … });
 *   });
 *
 * SQLite gets a migrated file in a fresh temp directory. PostgreSQL gets `imagetrail_test_<random>`,
 * cloned from a template database migrated once per schema version (CREATE DATABASE … TEMPLATE is much
 * faster than migrating each time) and dropped afterwards. PostgreSQL being down is a test failure, not a skip.
 */

export type Engine = 'sqlite' | 'postgres';

export function eachDatabase(): Engine[] {
  return ['sqlite', 'postgres'];
}

/** The maintenance connection; override with IMAGETRAIL_TEST_PG_URL for a different server. */
export const PG_ADMIN_URL =
  process.env['IMAGETRAIL_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase extends DatabaseHandle {
  engine: Engine;
  /** A URL `openDatabase` accepts, for code under test that opens its own connection (e.g. `serve --database`). */
  url: string;
  /** Closes the handle and deletes the database. */
  destroy(): Promise<void>;
}

export async function createTestDatabase(
  engine: Engine,
  opts: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  const migrate = opts.migrate ?? true;
  return engine === 'sqlite' ? createSqlite(migrate) : createPostgres(migrate);
}

/** Creates one database for the enclosing describe block (beforeAll) and deletes it afterwards (afterAll). */
export function useTestDatabase(engine: Engine, opts: { migrate?: boolean } = {}): () => TestDatabase {
  let current: TestDatabase | undefined;
  beforeAll(async () => {
    current = await createTestDatabase(engine, opts);
  });
  afterAll(async () => {
    await current?.destroy();
  });
  return () => {
    if (!current)
      throw new Error(`the ${engine} test database is not ready (used outside a test, or its setup failed)`);
    return current;
  };
}

async function createSqlite(migrate: boolean): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'imagetrail-test-db-'));
  const url = `sqlite:${join(dir, 'store.db')}`;
  const handle = openDatabase(url);
  if (migrate) await migrateToLatest(handle.db);
  return {
    ...handle,
    engine: 'sqlite',
    url,
    async destroy() {
      await handle.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Any constant; serialises template building and cloning across vitest workers and parallel runs.
const TEMPLATE_LOCK_KEY = 731_946_221;

/** Changes whenever a migration is added or edited, so a stale template is never reused. */
function templateName(): string {
  const h = createHash('sha256');
  for (const [name, m] of Object.entries(migrations))
    h.update(name).update('\0').update(m.up.toString()).update('\0');
  return `imagetrail_template_${h.digest('hex').slice(0, 12)}`;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function connectAdmin(): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: PG_ADMIN_URL,
    connectionTimeout: 5000,
  } as pg.ClientConfig);
  try {
    await client.connect();
  } catch (err) {
    const u = new URL(PG_ADMIN_URL);
    throw new Error(
      `PostgreSQL is not reachable at ${u.hostname}:${u.port || 5432} as user ${u.username || '(default)'} ` +
        `(${err instanceof Error ? err.message : String(err)}). Store tests run on SQLite AND PostgreSQL and do not skip: ` +
        `start it with \`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\` (.ci/run does this), ` +
        `or point IMAGETRAIL_TEST_PG_URL at a server with trust or password auth.`,
      { cause: err },
    );
  }
  return client;
}

async function createPostgres(migrate: boolean): Promise<TestDatabase> {
  const name = `imagetrail_test_${randomBytes(6).toString('hex')}`;
  const admin = await connectAdmin();
  try {
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY]);
    try {
      if (migrate) {
        const template = await ensureTemplate(admin);
        await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
      } else {
        await admin.query(`CREATE DATABASE ${name}`);
      }
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK_KEY]);
    }
  } finally {
    await admin.end();
  }

  const url = withDatabase(PG_ADMIN_URL, name);
  const handle = openDatabase(url, { poolMax: 4 });
  return {
    ...handle,
    engine: 'postgres',
    url,
    async destroy() {
      await handle.close();
      const c = await connectAdmin();
      try {
        // FORCE: a test that leaked a connection must not leave its database behind.
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Call with the advisory lock held. Builds under a temporary name and renames, so a crash never leaves a half-migrated template. */
async function ensureTemplate(admin: pg.Client): Promise<string> {
  const template = templateName();
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
  if (exists.rowCount) return template;

  const building = `${template}_building`;
  await admin.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${building}`);
  const handle = openDatabase(withDatabase(PG_ADMIN_URL, building), { poolMax: 1 });
  try {
    await migrateToLatest(handle.db);
  } finally {
    await handle.close();
  }
  await admin.query(`ALTER DATABASE ${building} RENAME TO ${template}`);
  return template;
}
