import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REGION } from './ecr-seed.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin', 'imagetrail');

export interface ServerHandle {
  url: string;
  dataDir: string;
  adminToken: string;
  proc: ChildProcess;
  logs(): string;
  stop(): Promise<void>;
}

/** A clean environment for child processes: no AWS settings leak in from the developer's shell. */
export function baseEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('AWS_') || k.startsWith('IMAGETRAIL_') || k.startsWith('CF_')) continue;
    env[k] = v;
  }
  env['AWS_EC2_METADATA_DISABLED'] = 'true'; // never wander off to an instance metadata endpoint
  env['AWS_CONFIG_FILE'] = '/dev/null';
  env['AWS_SHARED_CREDENTIALS_FILE'] = '/dev/null';
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

/** Starts `bin/imagetrail serve` on port 0 in a fresh data directory and waits until /healthz answers. */
export async function startImagetrail(
  opts: {
    configRepo?: string;
    database?: string;
    env?: Record<string, string | undefined>;
    dataDir?: string;
    args?: string[];
    /** How long to wait for /healthz (a loaded machine starts slowly). */
    startTimeoutMs?: number;
  } = {},
): Promise<ServerHandle> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'imagetrail-data-')));
  const args = [
    BIN,
    'serve',
    '--port',
    '0',
    '--data-dir',
    dataDir,
    '--sync-interval',
    '0',
    ...(opts.args ?? []),
  ];
  if (opts.configRepo) args.push('--config-repo', opts.configRepo);
  if (opts.database) args.push('--database', opts.database);
  const proc = spawn(process.execPath, args, {
    env: baseEnv({ IMAGETRAIL_AWS_TIMEOUT_MS: '5000', IMAGETRAIL_AWS_MAX_ATTEMPTS: '2', ...opts.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout.on('data', (d: Buffer) => (log += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));

  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  let url: string | undefined;
  while (Date.now() < deadline) {
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('wait'), 100))]);
    if (code !== 'wait') throw new Error(`imagetrail serve exited with ${String(code)}:\n${log}`);
    try {
      url = (JSON.parse(await readFile(join(dataDir, 'server.json'), 'utf8')) as { url: string }).url;
      const res = await fetch(url + '/healthz');
      if (res.ok) break;
    } catch {
      // not up yet
    }
  }
  if (!url) {
    proc.kill('SIGKILL');
    throw new Error(`imagetrail serve did not come up:\n${log}`);
  }
  const adminToken = (await readFile(join(dataDir, 'admin-token'), 'utf8').catch(() => '')).trim();
  return {
    url,
    dataDir,
    adminToken,
    proc,
    logs: () => log,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      if (!opts.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `report-image` as a CI job runs it here: no local Git, waiting (up to 60 s) for the outcome, as JSON. */
export function reportImageArgs(image: string, integration = 'ecr'): string[] {
  return [
    'report-image',
    '--image',
    image,
    '--registry-integration',
    integration,
    '--no-local-git',
    '--wait',
    '--wait-timeout',
    '60',
    '--json',
  ];
}

/** Runs the CLI as a user would, against a server, with optional standard input. */
export function cli(
  server: Pick<ServerHandle, 'url' | 'adminToken'> | undefined,
  args: string[],
  opts: { stdin?: string; env?: Record<string, string | undefined>; token?: string } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const env = baseEnv({
      ...(server ? { IMAGETRAIL_SERVER: server.url, IMAGETRAIL_TOKEN: opts.token ?? server.adminToken } : {}),
      ...opts.env,
    });
    const p = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'], cwd: ROOT });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
    if (opts.stdin !== undefined) p.stdin.end(opts.stdin);
    else p.stdin.end();
  });
}

/** Calls the API directly, as the dashboard or a script would. */
export async function api(
  server: Pick<ServerHandle, 'url' | 'adminToken'>,
  method: string,
  path: string,
  body?: unknown,
  token: string | null = server.adminToken,
): Promise<{ status: number; json: any; text: string }> {
  const headers: Record<string, string> = {};
  if (token) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(server.url + path, {
    method,
    headers,
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

/**
 * `imagetrail integration add ecr NAME` in access-key mode, shared with all runtimes, the secret on stdin.
 * `flags`: --skip-test, endpoint overrides, --json.
 */
export function addEcrKeyIntegration(
  server: Pick<ServerHandle, 'url' | 'adminToken'>,
  name: string,
  keys: { accessKeyId: string; secretAccessKey: string },
  flags: string[],
): Promise<CliResult> {
  return cli(
    server,
    [
      'integration',
      'add',
      'ecr',
      name,
      '--region',
      REGION,
      '--access-key-id',
      keys.accessKeyId,
      '--secret-access-key-stdin',
      '--all-runtimes',
      ...flags,
    ],
    { stdin: keys.secretAccessKey },
  );
}

/**
 * An access-key ECR integration named `name`, shared with all runtimes, whose endpoints are port 9 where
 * nothing listens: reports naming it pass intake (the integration exists, the host is ECR) and fail later.
 * For tests about intake, idempotency and probes, where enrichment does not matter.
 */
export async function addUnreachableEcrIntegration(
  server: Pick<ServerHandle, 'url' | 'adminToken'>,
  name: string,
): Promise<void> {
  const unreachable = 'http://127.0.0.1:9';
  const added = await addEcrKeyIntegration(
    server,
    name,
    { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: `${name}-unreachable-test-secret-000000000000` },
    [
      '--skip-test',
      '--api-endpoint',
      unreachable,
      '--sts-endpoint',
      unreachable,
      '--registry-endpoint',
      unreachable,
    ],
  );
  if (added.code !== 0) throw new Error(`integration add ${name} failed: ${added.stderr}`);
}
