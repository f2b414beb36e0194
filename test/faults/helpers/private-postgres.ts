import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '../../peers/free-port.js';
import { waitUntil } from './common.js';

const exec = promisify(execFile);

/** Where Debian puts PostgreSQL 15; override with IMAGETRAIL_TEST_PG_BIN. */
export const PG_BIN = process.env['IMAGETRAIL_TEST_PG_BIN'] ?? '/usr/lib/postgresql/15/bin';

export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:PORT/imagetrail */
  url: string;
  port: number;
  dataDir: string;
  /** `pg_ctl stop -m fast`: disconnects every client, like a restart or failover. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the cluster (immediate) and deletes its files. */
  destroy(): Promise<void>;
}

/**
 * A throwaway PostgreSQL cluster of our own (initdb into a temp dir, trust auth, loopback only, its own
 * socket dir), so a test can stop and start it without touching the machine's cluster. As root, the
 * binaries run as the `postgres` user (initdb refuses root).
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const root = await mkdtemp(join(tmpdir(), 'imagetrail-pg-'));
  const dataDir = join(root, 'data');
  const asRoot = userInfo().uid === 0;
  const run = async (bin: string, args: string[]): Promise<string> => {
    const cmd = asRoot ? 'runuser' : join(PG_BIN, bin);
    const argv = asRoot ? ['-u', 'postgres', '--', join(PG_BIN, bin), ...args] : args;
    const { stdout } = await exec(cmd, argv, { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  };
  if (asRoot) {
    const { stdout } = await exec('id', ['-u', 'postgres']);
    const { stdout: g } = await exec('id', ['-g', 'postgres']);
    await chown(root, Number(stdout.trim()), Number(g.trim()));
  }
  await run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const opts = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${root} -c fsync=off -c max_connections=50`;
  const logFile = join(root, 'log');
  const url = `postgres://postgres@127.0.0.1:${port}/imagetrail`;

  const ready = async (): Promise<void> => {
    await waitUntil(
      `private PostgreSQL on ${port}`,
      async () => {
        const c = new pg.Client({
          connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
          connectionTimeoutMillis: 2000,
        });
        try {
          await c.connect();
          await c.query('select 1');
          return true;
        } finally {
          await c.end().catch(() => undefined);
        }
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  };
  const start = async (): Promise<void> => {
    await run('pg_ctl', ['-D', dataDir, '-l', logFile, '-o', opts, '-w', '-t', '60', 'start']);
    await ready();
  };
  await writeFile(
    join(root, 'README'),
    'a private PostgreSQL cluster started by test/faults; safe to delete\n',
  );
  await start();
  const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
  await admin.connect();
  await admin.query('CREATE DATABASE imagetrail');
  await admin.end();

  return {
    url,
    port,
    dataDir,
    start,
    async stop() {
      await run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', '-t', '60', 'stop']);
    },
    async destroy() {
      await run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', '-t', '60', 'stop']).catch(
        () => undefined,
      );
      await rm(root, { recursive: true, force: true });
    },
  };
}
