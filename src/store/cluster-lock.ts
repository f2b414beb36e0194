import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { DialectName } from './database.js';
import type { Database } from './schema.js';

/**
 * A lock held across every replica of the control plane, for read-modify-write work outside the database
 * (the Git commit-and-push of a configuration change, the first-start bootstrap). PostgreSQL: a session
 * advisory lock on one pooled connection, so that a replica that dies (SIGKILL, lost network) releases it
 * with its connection. SQLite: the data directory admits one process, so the lock is a pass-through.
 */
export interface ClusterLock {
  run<T>(name: LockName, fn: () => Promise<T>): Promise<T>;
}

export type LockName = 'config-write' | 'bootstrap';

/** A stable 63-bit key per name, in a namespace unlikely to collide with other applications' keys. */
export function lockKey(name: LockName): bigint {
  const digest = createHash('sha256').update(`imagetrail:${name}`).digest();
  return digest.readBigInt64BE(0) & 0x7fff_ffff_ffff_ffffn;
}

export function createClusterLock(db: Kysely<Database>, dialect: DialectName): ClusterLock {
  if (dialect === 'sqlite') return { run: (_name, fn) => fn() };
  return {
    run: (name, fn) =>
      db.connection().execute(async (conn) => {
        const key = lockKey(name).toString();
        await sql`SELECT pg_advisory_lock(${key}::bigint)`.execute(conn);
        try {
          return await fn();
        } finally {
          // If this fails the connection is broken, and PostgreSQL released the lock with it.
          await sql`SELECT pg_advisory_unlock(${key}::bigint)`.execute(conn).catch(() => undefined);
        }
      }),
  };
}
