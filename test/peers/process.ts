import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** A child process started by a test, with the tail of its output kept for error messages. */
export interface PeerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Last few KB of stdout+stderr, for "peer failed to start" messages. */
  output(): string;
  exited(): boolean;
  stop(): Promise<void>;
}

const OUTPUT_TAIL = 8192;

export function spawnPeer(command: string, args: string[], options: SpawnOptions = {}): PeerProcess {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const pid = child.pid;
  let out = '';
  const keep = (chunk: Buffer): void => {
    out = (out + chunk.toString('utf8')).slice(-OUTPUT_TAIL);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let hasExited = false;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      hasExited = true;
      resolve();
    });
    // Spawn failures (ENOENT) emit 'error' and no 'exit'.
    child.once('error', (err) => {
      hasExited = true;
      keep(Buffer.from(String(err)));
      resolve();
    });
  });
  return {
    child,
    pid,
    output: () => out,
    exited: () => hasExited,
    stop: () => stopProcess(child, exitPromise, () => hasExited),
  };
}

/** SIGTERM by PID, then SIGKILL if it has not exited within `graceMs`. */
async function stopProcess(
  child: ChildProcess,
  exitPromise: Promise<void>,
  hasExited: () => boolean,
  graceMs = 3000,
): Promise<void> {
  if (hasExited()) return;
  child.kill('SIGTERM');
  const timedOut = await Promise.race([exitPromise.then(() => false), sleep(graceMs).then(() => true)]);
  if (timedOut && !hasExited()) {
    child.kill('SIGKILL');
    await exitPromise;
  }
}

/**
 * Polls `probe` until it returns true, the process exits, or `timeoutMs` passes. `probe` errors count as
 * "not yet" (connection refused while the peer is still starting).
 */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  opts: { timeoutMs?: number; intervalMs?: number; peer?: PeerProcess } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (opts.peer?.exited()) {
      throw new Error(`${what}: the process exited before it was ready:\n${opts.peer.output()}`);
    }
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err;
    }
    await sleep(opts.intervalMs ?? 100);
  }
  const tail = opts.peer ? `\n${opts.peer.output()}` : '';
  throw new Error(`${what}: not ready after ${opts.timeoutMs ?? 30_000} ms (${String(lastError)})${tail}`);
}
