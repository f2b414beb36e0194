import { join } from 'node:path';
import { openDatabase, type DatabaseHandle } from '../store/database.js';
import { migrateToLatest } from '../store/migrations/index.js';
import { openCoordination, type Coordination } from './replication.js';
import type { Ctx, Opts } from './serve-options.js';

export interface StoreParts {
  store: DatabaseHandle;
  coord: Coordination;
}

/** Opens and migrates the database, then the replicas' coordination on it. */
export async function composeStore(opts: Opts, dataDir: string, ctx: Ctx): Promise<StoreParts> {
  const url = opts.database ?? `sqlite:${join(dataDir, 'imagetrail.db')}`;
  const store = openDatabase(url, {
    redactor: ctx.redactor,
    onPoolError: (err) => ctx.logger.warn({ err }, 'database connection error'),
  });
  try {
    await migrateToLatest(store.db);
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  const coord = openCoordination({
    db: store.db,
    dialect: store.dialect,
    databaseUrl: url,
    logger: ctx.logger,
  });
  return { store, coord };
}
