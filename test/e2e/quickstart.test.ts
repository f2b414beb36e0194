import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readlink, realpath, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { baseEnv, BIN, ROOT } from '../helpers/imagetrail.js';
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

/** The machine's own Node, older than 22: what a fresh terminal finds first on PATH. */
const OLD_NODE_PATH = '/usr/bin:/bin';

interface BlockNode {
  /** The Node the server must end up on. */
  node: string;
  /** How the test checkout gets its `.tools/node/bin/node` (none: setup-node.sh finds `node` on PATH). */
  tools?: { link: string } | { node: string };
  /** The terminal's PATH when the block is pasted. */
  path: string;
}

/**
 * setup-node.sh installs `.tools/node` (Node 24) only when no Node >= 22 is on PATH, so this checkout may
 * have none (.ci/run on a machine with Node 24 installed). Then this test's own Node 24 stands where
 * setup-node.sh would have put it. A Node 22 or 23 cannot (setup-node.sh would fetch 24 instead): with one
 * of those and no `.tools`, the terminal's PATH starts with it, and the block must keep it.
 */
function blockNode(): BlockNode {
  const own = join(ROOT, '.tools');
  const ownNode = join(own, 'node', 'bin', 'node');
  if (existsSync(ownNode)) return { node: ownNode, tools: { link: own }, path: OLD_NODE_PATH };
  if (process.versions.node.split('.')[0] === '24')
    return { node: process.execPath, tools: { node: process.execPath }, path: OLD_NODE_PATH };
  return { node: process.execPath, path: `${dirname(process.execPath)}:${OLD_NODE_PATH}` };
}

/** Gives the test checkout at `cwd` the `.tools` of `tools`. */
async function placeTools(cwd: string, tools: BlockNode['tools']): Promise<void> {
  if (!tools) return;
  if ('link' in tools) return symlink(tools.link, join(cwd, '.tools'));
  await mkdir(join(cwd, '.tools', 'node', 'bin'), { recursive: true });
  await symlink(tools.node, join(cwd, '.tools', 'node', 'bin', 'node'));
}

/** The README's Quickstart block: the first ```sh block after "## Quickstart". */
async function quickstartBlock(): Promise<string> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quickstart'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README.md has no ```sh block under ## Quickstart');
  return block;
}

function runShell(cwd: string, script: string, env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    // Like a paste into a terminal: bash reads the lines from its input, one after the other.
    const p = spawn('bash', ['-s'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // 'exit', not 'close': the server the block starts in the background keeps the pipes open.
    p.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    p.stdin.end(script);
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe(
  'README quickstart, pasted as one block into a terminal with Node 20 on PATH',
  { timeout: 180_000 },
  () => {
    it('starts the server on Node >= 22, waits for it, and lists the runtime with the token found on its own', async () => {
      // The premise: the machine's Node is older than 22.
      expect(execFileSync('/usr/bin/node', ['--version'], { encoding: 'utf8' })).toMatch(/^v(1\d|2[01])\./);
      // A checkout of its own (the data directory lands in it), sharing this one's build and Node.
      const cwd = await mkdtemp(join(tmpdir(), 'imagetrail-quickstart-block-'));
      dirs.push(cwd);
      for (const entry of ['bin', 'dist', 'scripts', 'node_modules', 'package.json'])
        await symlink(join(ROOT, entry), join(cwd, entry));
      const want = blockNode();
      await placeTools(cwd, want.tools);
      const port = await freePort();
      // The discovery pointer goes to a config directory of this test's own, never the real user's, where
      // another server could be registered (or this one would stay registered).
      const env = baseEnv({
        IMAGETRAIL_PORT: String(port),
        PATH: want.path,
        XDG_CONFIG_HOME: join(cwd, 'user-config'),
      });
      const block = await quickstartBlock();
      const r = await runShell(cwd, block, env);
      const serverFile = join(cwd, '.imagetrail', 'server.json');
      const published = await readFile(serverFile, 'utf8').catch(() => {
        throw new Error(`the block left no server.json (exit ${r.code})\n${r.stdout}\n${r.stderr}`);
      });
      const pid = (JSON.parse(published) as { pid: number }).pid;
      try {
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).not.toMatch(/SyntaxError|enableCompileCache|No such file/);
        expect(r.stdout).toContain(`ready: http://127.0.0.1:${port}`);
        expect(r.stdout).toMatch(/\blocal\b.*hybrid/);
        // The server runs on the checkout's Node 24 (or the Node >= 22 first on PATH), never /usr/bin/node.
        expect(await readlink(`/proc/${pid}/exe`)).toBe(await realpath(want.node));
      } finally {
        process.kill(pid, 'SIGTERM');
        for (let i = 0; i < 200 && alive(pid); i++) await new Promise((res) => setTimeout(res, 50));
      }
      expect(alive(pid)).toBe(false);
    });

    it('Node older than 22 gets a clear error naming the requirement and scripts/setup-node.sh (exit 2, no stack)', async () => {
      const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
        const p = spawn('/usr/bin/node', [BIN, 'runtime', 'list'], {
          env: baseEnv(),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stderr = '';
        p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        p.on('close', (code) => resolve({ code: code ?? -1, stderr }));
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('Node.js >= 22 is required');
      expect(r.stderr).toContain('v20.');
      expect(r.stderr).toContain('source scripts/setup-node.sh');
      expect(r.stderr).not.toMatch(/SyntaxError|\n\s+at /);
    });

    it('a checkout without .tools/ runs `node` from PATH and says the same when it is too old', async () => {
      const cwd = await mkdtemp(join(tmpdir(), 'imagetrail-no-tools-'));
      dirs.push(cwd);
      await mkdir(join(cwd, 'bin'));
      await copyFile(BIN, join(cwd, 'bin', 'imagetrail'));
      await symlink(join(ROOT, 'dist'), join(cwd, 'dist'));
      const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
        const p = spawn(join(cwd, 'bin', 'imagetrail'), ['--version'], {
          env: baseEnv({ PATH: OLD_NODE_PATH }),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stderr = '';
        p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        p.on('close', (code) => resolve({ code: code ?? -1, stderr }));
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('/usr/bin/node is v20.');
      expect(r.stderr).toContain('scripts/setup-node.sh');
    });
  },
);
