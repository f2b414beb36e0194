import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, baseEnv } from './imagetrail.js';

export interface AgentHandle {
  proc: ChildProcess;
  logs(): string;
  /** Resolves with the exit code when the agent exits. */
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/**
 * Starts `bin/imagetrail agent` as its own process, with its own ambient AWS identity (`env`), as in a
 * cluster. Secrets reach it through a file or the environment, never argv.
 */
export function startAgent(opts: {
  server: string;
  runtime: string;
  dataDir: string;
  tokenFile?: string;
  env?: Record<string, string | undefined>;
  args?: string[];
}): AgentHandle {
  const args = [
    BIN,
    'agent',
    '--server',
    opts.server,
    '--runtime',
    opts.runtime,
    '--data-dir',
    opts.dataDir,
    ...(opts.tokenFile ? ['--registration-token-file', opts.tokenFile] : []),
    ...(opts.args ?? []),
  ];
  const proc = spawn(process.execPath, args, {
    env: baseEnv({
      IMAGETRAIL_AWS_TIMEOUT_MS: '5000',
      IMAGETRAIL_AWS_MAX_ATTEMPTS: '2',
      IMAGETRAIL_AGENT_WAIT_MS: '1000',
      IMAGETRAIL_AGENT_SHUTDOWN_GRACE_MS: '2000',
      ...opts.env,
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return {
    proc,
    logs: () => log,
    exited,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 8000);
        const code = await exited;
        clearTimeout(t);
        return code;
      }
      return proc.exitCode;
    },
  };
}
