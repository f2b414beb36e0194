import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { baseEnv, BIN } from '../helpers/imagetrail.js';
import { git } from '../helpers/git.js';
import { freePort } from '../peers/free-port.js';

// The README's first command, as a new user runs it: `bin/imagetrail serve` with no options, in an empty
// folder. Only the port comes from the environment (IMAGETRAIL_PORT, documented), so the test cannot
// collide with whatever holds 8080 on the machine. Then a client command finds the server on its own.

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

function run(cwd: string, args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('README quickstart', () => {
  it('`bin/imagetrail serve` on embedded defaults: /healthz, SQLite, a local shared-config repo, the admin token', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'imagetrail-quickstart-'));
    dirs.push(cwd);
    const port = await freePort();
    // The server registers itself in the user's config directory (never the current directory): a fresh one.
    const env = baseEnv({ IMAGETRAIL_PORT: String(port), XDG_CONFIG_HOME: join(cwd, 'user-config') });
    const server = spawn(process.execPath, [BIN, 'serve'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    server.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
    try {
      for (let i = 0; i < 300 && !/serving on/.test(log); i++) await new Promise((r) => setTimeout(r, 50));
      expect(log).toContain(`serving on http://127.0.0.1:${port}`);
      expect(log).toContain('.imagetrail/admin-token');

      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      expect(((await health.json()) as { status: string }).status).toBe('ok');

      const data = join(cwd, '.imagetrail');
      expect((await stat(join(data, 'admin-token'))).mode & 0o777).toBe(0o600);
      expect((await stat(join(data, 'imagetrail.db'))).isFile()).toBe(true);
      // The shared configuration repository: a local Git repository, initialised with the control plane's
      // key and the in-process runtime.
      const files = (await git(join(data, 'shared-config'), 'ls-files')).split('\n');
      expect(files).toEqual(
        expect.arrayContaining([
          'resources/control-planes/control-plane.yaml',
          'runtimes/local/runtime.yaml',
          'runtimes/local/in-cluster.yaml',
        ]),
      );

      // The quickstart's next step: a client command finds the local server and its token by itself.
      const list = await run(cwd, ['runtime', 'list', '--json'], env);
      expect(list.code, list.stderr).toBe(0);
      expect(JSON.parse(list.stdout)).toEqual([
        expect.objectContaining({ name: 'local', type: 'hybrid', inProcess: true }),
      ]);
      expect(await readFile(join(data, 'server.json'), 'utf8')).toContain(String(port));
    } finally {
      server.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
