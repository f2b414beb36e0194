import { createHash } from 'node:crypto';
import { realpath, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { ConflictError, UnavailableError } from '../domain/errors.js';

/**
 * One server per data directory. Two servers on one directory race on the SQLite file, the clone of the
 * configuration repository and `server.json`, and lose acknowledged writes. The lock is a Unix socket
 * listening in the data directory: the kernel stops the listener when its process dies, however it dies
 * (SIGKILL too), so a lock is never left held by a dead process. A socket file left behind answers
 * ECONNREFUSED and is taken over; a live holder answers with its pid, which the error names.
 */
export interface DataDirLock {
  release(): Promise<void>;
}

const SOCKET_NAME = 'server.sock';
/** sun_path holds 108 bytes on Linux (104 on macOS); longer paths use Linux's abstract namespace. */
const MAX_SOCKET_PATH = 100;

export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const address = await socketAddress(dataDir);
  const token = `${process.pid}`;
  const server = createServer((sock) => sock.end(token + '\n'));
  server.on('error', () => undefined);
  try {
    await listen(server, address);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw lockError(dataDir, err);
    const holder = await ask(address);
    if (holder !== undefined) throw heldBy(dataDir, holder);
    // A socket file whose process is gone: take it over.
    await unlink(address).catch(() => undefined);
    await listen(server, address).catch((e: unknown) => {
      throw lockError(dataDir, e);
    });
  }
  // Two servers taking over the same stale socket at once: only the one that answers on it keeps going.
  const answer = await ask(address);
  if (answer !== token) {
    await close(server);
    throw heldBy(dataDir, answer ?? 'unknown');
  }
  return {
    async release() {
      await close(server); // also removes the socket file
    },
  };
}

async function socketAddress(dataDir: string): Promise<string> {
  const file = join(dataDir, SOCKET_NAME);
  if (Buffer.byteLength(file) <= MAX_SOCKET_PATH) return file;
  const id = createHash('sha256')
    .update(await realpath(dataDir))
    .digest('hex')
    .slice(0, 32);
  return `\0imagetrail-${id}`;
}

function listen(server: Server, address: string): Promise<void> {
  return new Promise((ok, fail) => {
    const onError = (err: Error) => fail(err);
    server.once('error', onError);
    server.listen({ path: address, exclusive: true }, () => {
      server.off('error', onError);
      ok();
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((ok) => server.close(() => ok()));
}

/** The holder's answer (its pid), or undefined when nobody listens. */
function ask(address: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    let data = '';
    const sock = createConnection({ path: address });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve('unknown (it does not answer)');
    }, 2000);
    sock.on('data', (d: Buffer) => (data += d.toString()));
    sock.on('end', () => {
      clearTimeout(timer);
      resolve(data.trim() || 'unknown');
    });
    sock.on('error', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
  });
}

function heldBy(dataDir: string, pid: string): ConflictError {
  return new ConflictError(
    `another imagetrail server (pid ${pid}) is already using the data directory ${dataDir}`,
    {
      hints: [
        'Only one server may use a data directory. Stop that server first, or start this one with another --data-dir.',
      ],
    },
  );
}

function lockError(dataDir: string, err: unknown): UnavailableError {
  return new UnavailableError(`cannot lock the data directory ${dataDir}: ${(err as Error).message}`, {
    cause: err,
  });
}
