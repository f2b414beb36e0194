import type { MiddlewareHandler } from 'hono';

/**
 * "The disk is full" is not a bug: the server answers 503 with what to do, and reports itself not
 * healthy until a write succeeds again. The three forms it takes: ENOSPC from the file system (Git, the
 * data directory), SQLITE_FULL from SQLite, SQLSTATE 53100 (disk_full) from PostgreSQL.
 */
const DISK_FULL_CODES = new Set(['ENOSPC', 'SQLITE_FULL', '53100', 'EDQUOT']);

export function isDiskFull(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const { code, message, cause } = e as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string' && DISK_FULL_CODES.has(code)) return true;
    if (
      typeof message === 'string' &&
      /\b(ENOSPC|No space left on device|database or disk is full)\b/i.test(message)
    )
      return true;
    e = cause;
  }
  return false;
}

export const DISK_FULL_MESSAGE =
  'The server is out of disk space (its data directory or its database); nothing was stored. Free space, then retry.';

/** Whether the last write failed on a full disk; one per server (passed in, not global). */
export class DiskFullState {
  private seen: Date | undefined;

  /** Records `err` when it is a disk-full error; returns whether it was. */
  note(err: unknown): boolean {
    if (!isDiskFull(err)) return false;
    this.seen ??= new Date();
    return true;
  }

  /** A write went through: there is space again. */
  clear(): void {
    this.seen = undefined;
  }

  get since(): Date | undefined {
    return this.seen;
  }
}

/** Middleware: a write answered below 500 means the disk took it, so the full-disk state ends. */
export function clearDiskFullOnWrite(state: DiskFullState): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && c.res.status < 500) state.clear();
  };
}
