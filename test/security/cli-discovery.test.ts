import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, baseEnv } from '../helpers/imagetrail.js';

// Issue 8, finding 5: the CLI sent IMAGETRAIL_TOKEN / CF_API_KEY to the URL in ./.imagetrail/server.json
// of the current directory, which in CI is a checkout a pull request controls. Capture servers on loopback
// stand in for the attacker's and for the real server.

const TOKEN = 'itk_cliDiscoveryTestToken0123456789';
let base: string;
const captures: Array<{ server: Server; url: string; seen: IncomingHttpHeaders[] }> = [];

async function capture() {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"items":[]}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const c = { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen };
  captures.push(c);
  return c;
}

function run(cwd: string, env: Record<string, string>) {
  return new Promise<{ code: number; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, [BIN, 'runtime', 'list', '--json'], {
      cwd,
      env: baseEnv({ XDG_CONFIG_HOME: join(base, 'user-config'), ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}

/** A pull request's checkout with a planted `.imagetrail/server.json` pointing at `url`. */
async function hostileCheckout(url: string): Promise<string> {
  const dir = await mkdtemp(join(base, 'checkout-'));
  await mkdir(join(dir, '.imagetrail'));
  await writeFile(join(dir, '.imagetrail', 'server.json'), JSON.stringify({ url, pid: 1 }));
  await writeFile(join(dir, '.imagetrail', 'admin-token'), 'planted-token\n');
  return dir;
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'imagetrail-cli-discovery-'));
});

afterAll(async () => {
  await Promise.all(captures.map((c) => new Promise((r) => c.server.close(r))));
  await rm(base, { recursive: true, force: true });
});

describe('the CLI never takes its server from the current directory', () => {
  it('a planted ./.imagetrail/server.json receives no request and no token', async () => {
    const attacker = await capture();
    const real = await capture();
    const cwd = await hostileCheckout(attacker.url);
    // With the server named by CF_HOST (Codefresh's variable), the token goes there and only there.
    const r = await run(cwd, { IMAGETRAIL_TOKEN: TOKEN, CF_HOST: real.url });
    expect(r.code, r.stderr).toBe(0);
    expect(attacker.seen).toEqual([]);
    expect(real.seen.map((h) => h.authorization)).toEqual([`Bearer ${TOKEN}`]);
    // With nothing named at all, the planted file is still ignored (the CLI falls back to 127.0.0.1:8080).
    await run(cwd, { IMAGETRAIL_TOKEN: TOKEN, CF_API_KEY: TOKEN });
    expect(attacker.seen).toEqual([]);
  });

  it('precedence: --server > IMAGETRAIL_SERVER > CF_HOST > the registered local server', async () => {
    const [flag, envServer, cfHost, pointer] = [
      await capture(),
      await capture(),
      await capture(),
      await capture(),
    ];
    await mkdir(join(base, 'user-config', 'imagetrail'), { recursive: true });
    await writeFile(
      join(base, 'user-config', 'imagetrail', 'server.json'),
      JSON.stringify({ url: pointer.url }),
    );
    const cwd = await mkdtemp(join(base, 'plain-'));
    const token = { IMAGETRAIL_TOKEN: TOKEN };
    expect((await run(cwd, token)).code).toBe(0);
    expect(pointer.seen).toHaveLength(1);
    expect((await run(cwd, { ...token, CF_HOST: cfHost.url })).code).toBe(0);
    expect(cfHost.seen).toHaveLength(1);
    expect((await run(cwd, { ...token, CF_HOST: cfHost.url, IMAGETRAIL_SERVER: envServer.url })).code).toBe(
      0,
    );
    expect(envServer.seen).toHaveLength(1);
    const viaFlag = await new Promise<number>((resolve) => {
      const p = spawn(process.execPath, [BIN, '--server', flag.url, 'runtime', 'list', '--json'], {
        cwd,
        env: baseEnv({
          XDG_CONFIG_HOME: join(base, 'user-config'),
          ...token,
          IMAGETRAIL_SERVER: envServer.url,
        }),
        stdio: 'ignore',
      });
      p.on('close', (code) => resolve(code ?? -1));
    });
    expect(viaFlag).toBe(0);
    expect(flag.seen).toHaveLength(1);
    expect([pointer.seen.length, cfHost.seen.length, envServer.seen.length]).toEqual([1, 1, 1]);
  });
});
