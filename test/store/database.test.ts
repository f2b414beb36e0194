import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { InputError, UnavailableError } from '../../src/domain/errors.js';
import { Redactor } from '../../src/logging/redactor.js';
import { displayDatabaseUrl, openDatabase, parseDatabaseUrl } from '../../src/store/database.js';
import { MigrationFailedError, migrateToLatest, migrations } from '../../src/store/migrations/index.js';
import { createTestDatabase, eachDatabase, useTestDatabase } from '../helpers/databases.js';

describe('database URLs', () => {
  it.each([
    ['sqlite:data/x.db', { dialect: 'sqlite', file: 'data/x.db' }],
    ['sqlite:///var/lib/x.db', { dialect: 'sqlite', file: '/var/lib/x.db' }],
    ['sqlite::memory:', { dialect: 'sqlite', file: ':memory:' }],
  ])('parses %s', (url, want) => {
    expect(parseDatabaseUrl(url)).toEqual(want);
  });

  it('parses PostgreSQL URLs and hides the password in the display form', () => {
    const loc = parseDatabaseUrl('postgresql://app:s3cr%40t@db:5432/it');
    expect(loc).toMatchObject({
      dialect: 'postgres',
      password: 's3cr@t',
      display: 'postgresql://app:***@db:5432/it',
    });
  });

  it.each([
    'mysql://root:hunter22@db/x',
    'sqlite:',
    'postgres://:hunter22@/x',
    'hunter22',
    'http://u:hunter22@h/x',
  ])('rejects %s with an example of a good URL and without the password', (url) => {
    let caught: unknown;
    try {
      parseDatabaseUrl(url);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InputError);
    const e = caught as InputError;
    expect(e.message + e.hints.join(' ')).not.toContain('hunter22');
    expect(e.hints.join(' ')).toContain('postgres://');
    expect(e.hints.join(' ')).toContain('sqlite:');
  });

  it('display never shows a password, even for unparseable input', () => {
    expect(displayDatabaseUrl('postgres://u:pw123456@h/d')).not.toContain('pw123456');
    expect(displayDatabaseUrl('weird:u:pw123456@@@')).toBe('weird:…');
  });

  it('registers the PostgreSQL password with the redactor', async () => {
    const redactor = new Redactor();
    const h = openDatabase('postgres://u:longpassword@127.0.0.1:1/x', { redactor });
    await h.close();
    expect(redactor.redact('x longpassword y')).toBe('x [REDACTED] y');
  });
});

describe('an unreachable PostgreSQL', () => {
  it('fails migration with UnavailableError, without the password', async () => {
    const h = openDatabase('postgres://postgres:topsecret1@127.0.0.1:1/x');
    try {
      const err = await migrateToLatest(h.db).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect(JSON.stringify({ m: (err as Error).message, h: (err as UnavailableError).hints })).not.toContain(
        'topsecret1',
      );
    } finally {
      await h.close();
    }
  });
});

describe('SQLite settings', () => {
  it('turns on WAL, a busy timeout and foreign keys', async () => {
    const t = await createTestDatabase('sqlite');
    try {
      const one = async (pragma: string) =>
        (await sql<Record<string, unknown>>`${sql.raw(`PRAGMA ${pragma}`)}`.execute(t.db)).rows[0];
      expect(await one('journal_mode')).toEqual({ journal_mode: 'wal' });
      expect(await one('foreign_keys')).toEqual({ foreign_keys: 1 });
      expect(Number(Object.values((await one('busy_timeout')) ?? {})[0])).toBeGreaterThan(0);
    } finally {
      await t.destroy();
    }
  });
});

describe('PostgreSQL settings', () => {
  it('turns parallel plans off on every pooled connection', async () => {
    const t = await createTestDatabase('postgres');
    try {
      // More than one connection at once, so the setting is seen on connections opened in parallel too.
      const shows = await Promise.all(
        Array.from({ length: 4 }, () =>
          t.db.connection().execute(async (c) => {
            const r = await sql<{
              max_parallel_workers_per_gather: string;
            }>`SHOW max_parallel_workers_per_gather`.execute(c);
            await sql`SELECT pg_sleep(0.05)`.execute(c);
            return r.rows[0]?.max_parallel_workers_per_gather;
          }),
        ),
      );
      expect(shows).toEqual(['0', '0', '0', '0']);
    } finally {
      await t.destroy();
    }
  });
});

describe.each(eachDatabase())('migrations (%s)', (engine) => {
  const database = useTestDatabase(engine, { migrate: false });

  it('run in order, report each result, and are idempotent', async () => {
    const { db } = database();
    const first = await migrateToLatest(db);
    expect(first.map((r) => [r.migrationName, r.status])).toEqual(
      Object.keys(migrations).map((n) => [n, 'Success']),
    );
    expect(await migrateToLatest(db)).toEqual([]);
    const tables = (await db.introspection.getTables()).map((t) => t.name).sort();
    expect(tables).toEqual(expect.arrayContaining(['api_tokens', 'audit_events']));
  });

  it('throw a typed error naming the migration that failed', async () => {
    const { db } = database();
    const broken = {
      ...migrations,
      // Uses the migrator's own connection: on SQLite there is only one.
      '9999-broken': {
        up: async (tx: Kysely<unknown>) => {
          await sql`SELECT * FROM no_such_table`.execute(tx);
        },
      },
    };
    const err = await migrateToLatest(db, broken).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationFailedError);
    expect((err as MigrationFailedError).message).toContain('9999-broken');
    expect((err as MigrationFailedError).results).toEqual([
      { migrationName: '9999-broken', direction: 'Up', status: 'Error' },
    ]);
  });
});
