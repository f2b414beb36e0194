import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createClusterLock, lockKey } from '../../src/store/cluster-lock.js';
import { openDatabase } from '../../src/store/database.js';
import { createNotifier, type Notifier, type Topic } from '../../src/store/notify.js';
import { eachDatabase, useTestDatabase } from '../helpers/databases.js';

// Replica coordination primitives (src/store/notify.ts, src/store/cluster-lock.ts) on both engines: on
// PostgreSQL two handles stand for two replicas; on SQLite there is only ever one process.

/** Polls until `fn` returns true or the deadline passes, then asserts (no wall-clock limit on speed). */
async function eventually(fn: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fn() && Date.now() < deadline) await sleep(20);
  expect(fn()).toBe(true);
}

function collect(n: Notifier): Topic[] {
  const got: Topic[] = [];
  n.subscribe((t) => got.push(t));
  return got;
}

describe.each(eachDatabase())('replica notifications and the cluster lock on %s', (engine) => {
  const database = useTestDatabase(engine);

  if (engine === 'postgres') {
    it('delivers what one replica publishes to the others, never back to itself', async () => {
      const { url, db } = database();
      const other = openDatabase(url, { poolMax: 2 });
      const a = createNotifier({ db, databaseUrl: url });
      const b = createNotifier({ db: other.db, databaseUrl: url });
      try {
        const gotA = collect(a);
        const gotB = collect(b);
        // LISTEN is asynchronous: publish until the other side hears, then check what it heard.
        await eventually(() => {
          if (!gotB.includes('config')) a.publish('config');
          return gotB.includes('config');
        });
        b.publish('reports');
        await eventually(() => gotA.includes('reports'));
        expect(gotA.every((t) => t === 'reports')).toBe(true);
        expect(gotB.every((t) => t === 'config')).toBe(true);
      } finally {
        await Promise.all([a.close(), b.close()]);
        await other.close();
      }
    });

    it('names the runtimes of queued reports; a burst becomes one notification naming them all', async () => {
      const { url, db } = database();
      const other = openDatabase(url, { poolMax: 2 });
      const a = createNotifier({ db, databaseUrl: url });
      const b = createNotifier({ db: other.db, databaseUrl: url });
      try {
        const got: Array<string[] | undefined> = [];
        b.subscribe((topic, runtimes) => {
          if (topic === 'reports') got.push(runtimes);
        });
        await eventually(() => {
          if (got.length === 0) a.publish('reports', 'edge');
          return got.length > 0;
        });
        expect(got.every((r) => r?.length === 1 && r[0] === 'edge')).toBe(true);
        got.length = 0;
        // The first is sent at once; the ones published while it is in flight go out together after it.
        for (const rt of ['one', 'two', 'three']) a.publish('reports', rt);
        await eventually(() => got.flat().length === 3);
        expect(got).toEqual([['one'], ['two', 'three']]);
        a.publish('reports');
        await eventually(() => got.length === 3);
        expect(got[2]).toBeUndefined();
      } finally {
        await Promise.all([a.close(), b.close()]);
        await other.close();
      }
    });

    it('ignores payloads that are not its events, and catches up on every topic after losing its connection', async () => {
      const { url, db } = database();
      const n = createNotifier({ db, databaseUrl: url, reconnectMs: 50 });
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        const got = collect(n);
        const listening = async () =>
          (
            await admin.query(
              // This test's database only: other processes on the server may be listening on theirs.
              "SELECT pid FROM pg_stat_activity WHERE application_name = 'imagetrail-listen' AND query LIKE 'LISTEN%' AND datname = current_database()",
            )
          ).rows as Array<{ pid: number }>;
        let pids: Array<{ pid: number }> = [];
        for (let i = 0; i < 200 && pids.length === 0; i++) {
          pids = await listening();
          if (pids.length === 0) await sleep(25);
        }
        expect(pids).toHaveLength(1);
        await admin.query(`SELECT pg_notify('imagetrail_events', 'not json')`);
        await admin.query(`SELECT pg_notify('imagetrail_events', '{"origin":"x","topic":"drop-tables"}')`);
        await admin.query(`SELECT pg_notify('imagetrail_events', '{"origin":"x","topic":"config"}')`);
        await eventually(() => got.length === 1);
        expect(got).toEqual(['config']);

        // A database restart or a network drop: the listener reconnects and, having missed whatever was
        // published meanwhile, tells its subscriber to catch up on everything.
        await admin.query('SELECT pg_terminate_backend($1)', [pids[0]!.pid]);
        await eventually(() => got.length === 5);
        expect(got.slice(1).sort()).toEqual(['config', 'reports', 'tasks', 'tokens']);
      } finally {
        await admin.end();
        await n.close();
      }
    });

    it('serialises work across replicas with the advisory lock, and a dead holder releases it', async () => {
      const { url, db } = database();
      const other = openDatabase(url, { poolMax: 2 });
      const locks = [createClusterLock(db, 'postgres'), createClusterLock(other.db, 'postgres')];
      try {
        // A read-modify-write with a pause in the middle: without the lock, increments are lost.
        let counter = 0;
        let inside = 0;
        let maxInside = 0;
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            locks[i % 2]!.run('config-write', async () => {
              inside++;
              maxInside = Math.max(maxInside, inside);
              const read = counter;
              await sleep(5);
              counter = read + 1;
              inside--;
            }),
          ),
        );
        expect(counter).toBe(20);
        expect(maxInside).toBe(1);

        // Another name is another lock.
        expect(lockKey('config-write')).not.toBe(lockKey('bootstrap'));

        // A replica killed while holding the lock: its connection goes, and the lock with it.
        const holder = new pg.Client({ connectionString: url });
        await holder.connect();
        holder.on('error', () => undefined);
        await holder.query('SELECT pg_advisory_lock($1::bigint)', [lockKey('config-write').toString()]);
        const waiting = locks[1]!.run('config-write', () => Promise.resolve('got it'));
        await sleep(200);
        const admin = new pg.Client({ connectionString: url });
        await admin.connect();
        await admin.query('SELECT pg_terminate_backend($1)', [
          (holder as unknown as { processID: number }).processID,
        ]);
        await admin.end();
        expect(await waiting).toBe('got it');
      } finally {
        await other.close();
      }
    });
  } else {
    it('has nobody else to tell: its own events never come back, and the lock is a pass-through', async () => {
      const { url, db } = database();
      const n = createNotifier({ db, databaseUrl: url });
      const got = collect(n);
      n.publish('config');
      n.publish('reports');
      await sleep(50);
      expect(got).toEqual([]);
      await n.close();
      expect(await createClusterLock(db, 'sqlite').run('config-write', () => Promise.resolve(7))).toBe(7);
    });
  }
});
