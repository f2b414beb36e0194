import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createEcrIamScenario, startMoto, type EcrIamScenario, type MotoPeer } from '../peers/moto.js';
import { startRegistry, type RegistryPeer } from '../peers/registry.js';
import type { PushedImage } from '../peers/images.js';
import {
  addEcrKeyIntegration,
  api,
  baseEnv,
  cli,
  ROOT,
  startImagetrail,
  type ServerHandle,
} from '../helpers/imagetrail.js';
import { bareRemote } from '../helpers/git.js';
import { EcrSeeder, HOST } from '../helpers/ecr-seed.js';

// Issue 14 (d), the CLI where CI runs: the package `npm pack` makes, installed in a clean directory, and the
// GitHub Action's bundled entry run the way the runner runs it, both reporting to a real server that
// enriches from moto (ECR API, IAM enforced) and distribution.

let moto: MotoPeer;
let registry: RegistryPeer;
let s: EcrIamScenario;
let remote: Awaited<ReturnType<typeof bareRemote>>;
let server: ServerHandle;
let reportToken: string;
let image: PushedImage;
let work: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Node 24 (this test's own) first on PATH, nothing of imagetrail's, AWS's or Codefresh's environment. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return baseEnv({ PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`, ...extra });
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'imagetrail-ci-install-'));
  [moto, registry, remote] = await Promise.all([startMoto(), startRegistry(), bareRemote()]);
  s = await createEcrIamScenario(moto);
  image = await new EcrSeeder(moto, registry).image('team/app', '1.0.0', { format: 'oci' });
  await moto.enableIamAuth();
  server = await startImagetrail({
    configRepo: remote.url,
    env: { IMAGETRAIL_REPORT_RETRY_BASE_MS: '100', IMAGETRAIL_REPORT_POLL_MS: '200' },
  });
  const add = await addEcrKeyIntegration(server, 'ecr', s.users.ro, [
    '--api-endpoint',
    moto.endpoint,
    '--sts-endpoint',
    moto.endpoint,
    '--registry-endpoint',
    registry.url,
  ]);
  expect(add.code, add.stderr).toBe(0);
  const tok = await cli(server, ['token', 'create', 'ci', '--scope', 'report', '--json']);
  expect(tok.code, tok.stderr).toBe(0);
  reportToken = JSON.parse(tok.stdout).token;
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await Promise.all([moto?.stop(), registry?.stop(), remote?.cleanup()]);
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the npm package', () => {
  let app: string;
  let tarball: string;

  beforeAll(async () => {
    // The build is the suite's (npm test builds first); --ignore-scripts packs that build as it is.
    const pack = await run(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', work],
      ROOT,
      cleanEnv(),
    );
    expect(pack.code, pack.stderr).toBe(0);
    const [info] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = join(work, info!.filename);
    const files = info!.files.map((f) => f.path);
    expect(files).toEqual(
      expect.arrayContaining(['bin/imagetrail', 'dist/cli.js', 'dist/action.js', 'action.yml', 'README.md']),
    );
    expect(files.filter((f) => /^(src|test|web|node_modules)\//.test(f) || f.endsWith('.map'))).toEqual([]);

    // A clean directory, as a CI job has. --omit=optional leaves out the native SQLite driver: the CI-side
    // commands must work without it. The npm cache holds every dependency after `npm ci`.
    app = join(work, 'app');
    await mkdir(app);
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'ci-job', private: true }));
    const install = await run(
      'npm',
      ['install', tarball, '--omit=optional', '--prefer-offline', '--no-audit', '--no-fund'],
      app,
      cleanEnv(),
    );
    expect(install.code, install.stderr).toBe(0);
  }, 300_000);

  it('npx imagetrail --version prints the package version', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await run('npx', ['--no-install', 'imagetrail', '--version'], app, cleanEnv());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('npx imagetrail report-image reports an image and waits for its enrichment', async () => {
    const r = await run(
      'npx',
      ['--no-install', 'imagetrail', 'report-image', '--no-local-git', '--wait', '--json'],
      app,
      cleanEnv({
        IMAGETRAIL_SERVER: server.url,
        IMAGETRAIL_TOKEN: reportToken,
        CF_IMAGE: `${HOST}/team/app:1.0.0`,
        CF_CONTAINER_REGISTRY_INTEGRATION: 'ecr',
        CF_GIT_REPO: 'acme/app',
        CF_GIT_REVISION: 'a'.repeat(40),
      }),
    );
    expect(r.code, r.stderr).toBe(0);
    const done = JSON.parse(r.stdout);
    expect(done).toMatchObject({ status: 'succeeded', result: { digest: image.digest } });
  });

  it('better-sqlite3 is optional: without it, serve says what to install instead of crashing', async () => {
    const installed = await readdir(join(app, 'node_modules'));
    expect(installed).not.toContain('better-sqlite3');
    const r = await run(
      'npx',
      ['--no-install', 'imagetrail', 'serve', '--port', '0', '--data-dir', join(work, 'data')],
      app,
      cleanEnv(),
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('better-sqlite3');
    expect(r.stderr).toContain('npm install better-sqlite3');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});

describe('the GitHub Action', () => {
  let actionDir: string;
  let inputs: string[];

  beforeAll(async () => {
    // Only action.yml and its bundled entry, as the runner has them from the Action's ref: no node_modules.
    actionDir = join(work, 'action');
    await mkdir(join(actionDir, 'dist'), { recursive: true });
    await copyFile(join(ROOT, 'action.yml'), join(actionDir, 'action.yml'));
    await copyFile(join(ROOT, 'dist', 'action.js'), join(actionDir, 'dist', 'action.js'));
    const meta = parse(await readFile(join(actionDir, 'action.yml'), 'utf8')) as {
      inputs: Record<string, unknown>;
      runs: { using: string; main: string };
    };
    expect(meta.runs).toEqual({ using: 'node24', main: 'dist/action.js' });
    inputs = Object.keys(meta.inputs);
  });

  /**
   * Runs the entry as the runner does: each input as INPUT_<NAME>, the name upper-cased with spaces
   * replaced by `_` (GitHub docs, "Metadata syntax for GitHub Actions", inputs); outputs go to the file
   * named by GITHUB_OUTPUT.
   */
  async function runAction(given: Record<string, string>) {
    for (const name of Object.keys(given)) expect(inputs).toContain(name);
    const outFile = join(work, `output-${Math.random().toString(36).slice(2)}`);
    await writeFile(outFile, '');
    const env: Record<string, string> = { GITHUB_OUTPUT: outFile, GITHUB_WORKSPACE: work };
    for (const [name, v] of Object.entries(given)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = v;
    const r = await run(process.execPath, [join(actionDir, 'dist', 'action.js')], work, cleanEnv(env));
    const outputs = Object.fromEntries(
      (await readFile(outFile, 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    return { ...r, outputs };
  }

  it('reports the image, waits, and writes report-id and digest; the token is masked, never echoed', async () => {
    const r = await runAction({
      'imagetrail-url': server.url,
      'imagetrail-token': reportToken,
      image: `${HOST}/team/app:1.0.0`,
      'registry-integration': 'ecr',
      'git-provider': 'github',
      'git-repo': 'acme/app',
      'git-sha': 'b'.repeat(40),
      'git-branch': 'main',
      'workflow-name': 'build',
      'ci-type': 'github-actions',
      wait: 'true',
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`::add-mask::${reportToken}`);
    expect(lines.slice(1).join('\n')).not.toContain(reportToken);
    expect(r.outputs['digest']).toBe(image.digest);
    expect(r.outputs['status']).toBe('succeeded');
    const rep = await api(server, 'GET', `/api/v1/image-reports/${r.outputs['report-id']}`);
    expect(rep.status, rep.text).toBe(200);
    expect(rep.json).toMatchObject({ status: 'succeeded', image: `${HOST}/team/app:1.0.0` });
  });

  it('a report refused at intake fails with ::error:: naming the problem and exit 2', async () => {
    const r = await runAction({
      'imagetrail-url': server.url,
      'imagetrail-token': reportToken,
      image: `${HOST}/team/app:1.0.0`,
      'registry-integration': 'no-such-integration',
    });
    // Refused at intake (HTTP 400): the CLI's exit code for bad input.
    expect(r.code, r.stdout).toBe(2);
    const error = r.stdout.split('\n').find((l) => l.startsWith('::error::'));
    expect(error).toContain('no-such-integration');
    expect(r.outputs['digest']).toBeUndefined();
  });

  it('a wrong token fails with ::error:: and exit 3, and bad input with exit 2', async () => {
    const denied = await runAction({
      'imagetrail-url': server.url,
      'imagetrail-token': 'not-a-token',
      image: `${HOST}/team/app:1.0.0`,
    });
    expect(denied.code).toBe(3);
    expect(denied.stdout).toMatch(/^::error::/m);
    const noImage = await runAction({ 'imagetrail-url': server.url, 'imagetrail-token': reportToken });
    expect(noImage.code).toBe(2);
    expect(noImage.stdout).toMatch(/^::error::error: The image to report is required/m);
  });
});
