import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addEcrKeyIntegration, api, baseEnv, BIN, cli, startImagetrail } from '../helpers/imagetrail.js';
import { git } from '../helpers/git.js';

// Operations a new user meets in the first hour (issue 9): a second server on the same data directory,
// probes and unknown paths, a busy port, a symlinked layout folder in the configuration repository.

const KEYS = {
  accessKeyId: 'AKIAFIRSTHOUR0000000',
  secretAccessKey: 'first-hour-secret-key-0000000000000000000',
};
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(prefix: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

function serve(args: string[]) {
  return new Promise<{ code: number; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, [BIN, 'serve', '--sync-interval', '0', ...args], {
      env: baseEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code: code ?? -1, stderr });
    });
  });
}

describe('one server per data directory', { timeout: 180_000 }, () => {
  it('a second `serve` on the same data directory exits with an error naming the holder and touches nothing', async () => {
    const dataDir = await tempDir('imagetrail-lock-');
    const first = await startImagetrail({ dataDir });
    try {
      const serverJson = await readFile(join(dataDir, 'server.json'), 'utf8');
      const second = await serve(['--port', '0', '--data-dir', dataDir]);
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(`another imagetrail server (pid ${first.proc.pid})`);
      expect(second.stderr).toContain(dataDir);
      expect(second.stderr).not.toMatch(/\n\s+at /);
      // The first server's discovery file and API are untouched.
      expect(await readFile(join(dataDir, 'server.json'), 'utf8')).toBe(serverJson);
      expect((await api(first, 'GET', '/api/v1/runtimes')).status).toBe(200);
      const add = await addEcrKeyIntegration(first, 'after-second', KEYS, ['--skip-test']);
      expect(add.code, add.stderr).toBe(0);
    } finally {
      await first.stop();
    }
  });

  it('the lock of a SIGKILLed server is taken over by the next one', async () => {
    const dataDir = await tempDir('imagetrail-lock-stale-');
    const first = await startImagetrail({ dataDir });
    first.proc.kill('SIGKILL');
    await new Promise((r) => first.proc.once('exit', r));
    const next = await startImagetrail({ dataDir });
    try {
      expect((await api(next, 'GET', '/readyz', undefined, null)).status).toBe(200);
    } finally {
      await next.stop();
    }
  });
});

describe('probes and unknown paths', { timeout: 180_000 }, () => {
  it('/livez and /readyz answer JSON; /metrics and unknown paths are JSON 404s, never the dashboard', async () => {
    const server = await startImagetrail();
    try {
      const live = await api(server, 'GET', '/livez', undefined, null);
      expect(live.status).toBe(200);
      expect(live.json).toEqual({ status: 'ok' });
      const ready = await api(server, 'GET', '/readyz', undefined, null);
      expect(ready.status).toBe(200);
      expect(ready.json).toMatchObject({
        status: 'ready',
        checks: { store: { ok: true }, configRepo: { ok: true }, runner: { ok: true } },
      });
      // /metrics is Prometheus text (docs/metrics.md), never the dashboard.
      const metrics = await fetch(server.url + '/metrics', {
        headers: { authorization: `Bearer ${server.adminToken}` },
      });
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toContain('text/plain');
      expect(await metrics.text()).not.toContain('<html');
      for (const path of ['/api/v1/nope', '/api/v2/images', '/wp-admin', '/readyz/x', '/healthz/']) {
        const r = await fetch(server.url + path, {
          headers: { authorization: `Bearer ${server.adminToken}` },
        });
        const text = await r.text();
        expect(r.status, path).toBe(404);
        expect(r.headers.get('content-type'), path).toContain('application/json');
        expect(text, path).not.toContain('<html');
        expect((JSON.parse(text) as { error: { name: string } }).error.name).toBe('NotFoundError');
      }
      // The dashboard's own routes still get the page.
      for (const path of ['/', '/integrations', '/integrations/new', '/images/abc', '/runtimes']) {
        const r = await fetch(server.url + path);
        expect(r.status, path).toBe(200);
        expect(r.headers.get('content-type'), path).toContain('text/html');
      }
    } finally {
      await server.stop();
    }
  });

  it('a busy port is a clear error naming the port and how to choose another (exit 2), not a bug report', async () => {
    const holder = createServer();
    await new Promise<void>((ok) => holder.listen(0, '127.0.0.1', ok));
    const port = (holder.address() as { port: number }).port;
    const dataDir = await tempDir('imagetrail-port-');
    try {
      const r = await serve(['--port', String(port), '--data-dir', dataDir]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(r.stderr).toContain('--port');
      expect(r.stderr).not.toMatch(/bug|\n\s+at /i);
      // It let go of the data directory: the next server starts there.
      const next = await startImagetrail({ dataDir });
      await next.stop();
    } finally {
      holder.close();
    }
  });
});

describe('symbolic links in the configuration repository', { timeout: 180_000 }, () => {
  it('a layout folder committed as a symlink to / is reported, never followed; the server starts and changes work', async () => {
    const repo = await tempDir('imagetrail-symlink-repo-');
    await git(repo, 'init', '-q', '-b', 'main');
    await writeFile(join(repo, 'README.md'), 'config\n');
    await symlink('/', join(repo, 'runtimes'));
    await mkdir(join(repo, 'resources'));
    await symlink('/etc', join(repo, 'resources', 'runtimes'));
    await git(repo, 'add', '-A');
    await git(repo, 'commit', '-q', '-m', 'layout folders as symlinks');

    const server = await startImagetrail({ configRepo: repo });
    try {
      const status = await cli(server, ['config', 'status', '--json']);
      expect(status.code).toBe(1); // invalid entries
      const problems = (
        JSON.parse(status.stdout) as { problems: Array<{ file: string; severity: string; message: string }> }
      ).problems;
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            file: 'runtimes',
            severity: 'error',
            message: expect.stringContaining('symbolic link'),
          }),
          expect.objectContaining({
            file: 'resources/runtimes',
            severity: 'error',
          }),
        ]),
      );
      // Nothing from the host: no file under the link targets is named.
      expect(status.stdout).not.toMatch(/runtimes\/(etc|proc|usr|root)|passwd|hostname/);
      // A change in a layout folder that is a real folder works.
      const add = await addEcrKeyIntegration(server, 'shared', KEYS, ['--skip-test']);
      expect(add.code, add.stderr).toBe(0);
      expect(await git(repo, 'ls-files', 'resources')).toContain(
        'resources/all-runtimes-all-clusters/shared.yaml',
      );
      const list = await cli(server, ['integration', 'list', '--json']);
      expect(list.code, list.stderr).toBe(0);
      expect(list.stdout).toContain('"shared"');
    } finally {
      await server.stop();
    }
  });
});

describe('GET /integrations reads the Git history once', { timeout: 240_000 }, () => {
  it('one git log for the whole list, whatever the number of integrations, with each last commit right', async () => {
    // A git on PATH that records its arguments, then runs the real git.
    const bin = await tempDir('imagetrail-git-spy-');
    const calls = join(bin, 'calls.log');
    await writeFile(join(bin, 'git'), `#!/bin/sh\necho "$1" >> '${calls}'\nexec /usr/bin/git "$@"\n`);
    await chmod(join(bin, 'git'), 0o755);
    const server = await startImagetrail({ env: { PATH: `${bin}:${process.env['PATH'] ?? ''}` } });
    try {
      const created = ['one', 'two', 'three', 'four', 'five', 'six'];
      for (const name of created) {
        const r = await addEcrKeyIntegration(server, name, KEYS, ['--skip-test']);
        expect(r.code, r.stderr).toBe(0);
      }
      await writeFile(calls, '');
      const list = await api(server, 'GET', '/api/v1/integrations');
      expect(list.status).toBe(200);
      const logs = (await readFile(calls, 'utf8')).split('\n').filter((l) => l === 'log');
      expect(logs).toHaveLength(1);
      const items = list.json.items as Array<{ name: string; lastCommit?: { subject: string } }>;
      expect(items.map((i) => i.name).sort()).toEqual([...created].sort());
      for (const i of items) expect(i.lastCommit?.subject, i.name).toContain(i.name);
    } finally {
      await server.stop();
    }
  });
});
