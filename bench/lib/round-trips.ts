import { setTimeout as sleep } from 'node:timers/promises';
import { api, type ServerHandle } from '../../test/helpers/imagetrail.js';
import { transactions } from './pg.js';

/** A PostgreSQL backend reports its counters when it goes idle, at most once a second. */
const FLUSH_MS = 1500;

/**
 * Database transactions per request of `path` — round trips, since the server sends its reads as single
 * statements: the database's count over `n` sequential requests, less its count over an idle pause as long
 * (the server's own polling), over `n`. Unlike milliseconds, it does not depend on the machine's load.
 */
export async function transactionsPerRequest(
  s: ServerHandle,
  database: string,
  path: string,
  n = 50,
): Promise<number> {
  await sleep(FLUSH_MS);
  const a = await transactions(database);
  const began = performance.now();
  for (let i = 0; i < n; i++) {
    const r = await api(s, 'GET', path);
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status}`);
  }
  const window = performance.now() - began + FLUSH_MS;
  await sleep(FLUSH_MS);
  const b = await transactions(database);
  await sleep(window);
  const c = await transactions(database);
  return (b - a - (c - b)) / n;
}
