import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';
import { MOTO_ACCOUNT_ID } from './moto.js';
import { spawnPeer, waitFor, type PeerProcess } from './process.js';

const run = promisify(execFile);

export interface RegistryPeer {
  /** http://127.0.0.1:PORT — use as the ECR integration's registry endpoint override. */
  readonly url: string;
  readonly port: number;
  /** The registry's process id (benchmarks read its CPU time). */
  readonly pid: number;
  /** The Basic-auth credentials the registry accepts (what moto's ECR token decodes to). */
  readonly username: string;
  readonly password: string;
  /** Kills the registry by PID and removes its temp dir (storage included). */
  stop(): Promise<void>;
}

/**
 * CNCF distribution (`docker-registry`) as the ECR data plane: htpasswd Basic auth with user `AWS` and
 * moto's fixed ECR token password `<registryId>-auth-token`, so a token from moto's GetAuthorizationToken
 * logs in as it would on ECR.
 */
export async function startRegistry(
  // auth: false runs an open registry (generic OCI tests); username/password are then unused.
  opts: { registryId?: string; timeoutMs?: number; auth?: boolean } = {},
): Promise<RegistryPeer> {
  const withAuth = opts.auth ?? true;
  const username = 'AWS';
  const password = `${opts.registryId ?? MOTO_ACCOUNT_ID}-auth-token`;
  const dir = await mkdtemp(join(tmpdir(), 'imagetrail-registry-'));
  let proc: PeerProcess | undefined;
  try {
    // -C 4: cheap bcrypt; the registry verifies it on every request.
    const { stdout } = await run('htpasswd', ['-Bbn', '-C', '4', username, password]);
    await writeFile(join(dir, 'htpasswd'), stdout, { mode: 0o600 });
    const port = await freePort();
    const config = [
      'version: 0.1',
      'log: {level: warn}',
      `storage: {filesystem: {rootdirectory: ${JSON.stringify(join(dir, 'data'))}}, delete: {enabled: true}}`,
      `http: {addr: "127.0.0.1:${port}"}`,
      ...(withAuth
        ? [`auth: {htpasswd: {realm: basic-realm, path: ${JSON.stringify(join(dir, 'htpasswd'))}}}`]
        : []),
      '',
    ].join('\n');
    const configPath = join(dir, 'config.yml');
    await writeFile(configPath, config);
    proc = spawnPeer('docker-registry', ['serve', configPath]);
    const url = `http://127.0.0.1:${port}`;
    const started = proc;
    await waitFor(
      `registry on ${url}`,
      async () => (await fetch(`${url}/v2/`)).status === (withAuth ? 401 : 200),
      {
        timeoutMs: opts.timeoutMs ?? 20_000,
        peer: started,
      },
    );
    return {
      url,
      port,
      pid: started.pid,
      username,
      password,
      async stop() {
        await started.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await proc?.stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
