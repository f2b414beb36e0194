import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type BrowserContext } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { baseEnv, BIN, ROOT, reportImageArgs } from '../helpers/imagetrail.js';
import { git } from '../helpers/git.js';
import { HOST, REGION } from '../helpers/ecr-seed.js';
import {
  apiCall,
  captured,
  cliSteps,
  COMMIT,
  findLeaks,
  github,
  GH_TOKEN,
  jira,
  JIRA_EMAIL,
  JIRA_TOKEN,
  keep,
  moto,
  registry,
  remote,
  run,
  s,
  server,
  useSecretsRun,
  WRONG,
} from './secrets-run.js';

// One end-to-end run with distinctive secrets — the real moto secret of an IAM user for an access-key ECR
// integration, and "SuperSecret-…" tokens registered with the fake GitHub and Jira — used the way people use
// them: add, test, report, edit, fail on purpose with wrong secrets, look at the dashboard. Then every place a
// secret could end up is scanned: server logs, every API response, CLI output, the SQLite files, the data
// directory, the whole Git history and every Git object of the remote and of the server's clone, the argv of
// the server and of a CLI process while it runs, and what Chromium saw (HTML, console, every response).

const exec = promisify(execFile);

useSecretsRun();

describe('a run with distinctive secrets', () => {
  it('adds, tests, edits and fails on purpose', async () => {
    const steps = cliSteps();
    for (const [args, stdin, env, code] of steps) {
      const r = await run(args, { ...(stdin !== undefined ? { stdin } : {}), ...(env ? { env } : {}) });
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(code);
    }
    // The API: drafts with wrong secrets (JSON and NDJSON), an edit with a wrong secret, every read.
    const drafts = [
      {
        ecr: {
          region: REGION,
          auth: { mode: 'accessKey', accessKeyId: s.users.ro.accessKeyId, secretAccessKey: WRONG.aws },
          endpoints: { api: moto.endpoint, sts: moto.endpoint, registry: registry.url },
        },
      },
      { type: 'git.github', github: { apiUrl: github.apiUrl, token: WRONG.gh } },
      {
        type: 'issue.jira',
        jira: { baseUrl: jira.baseUrl, auth: { kind: 'cloud', email: JIRA_EMAIL, apiToken: WRONG.jira } },
      },
    ];
    for (const d of drafts) {
      expect((await apiCall('POST', '/api/v1/integrations/test', d)).status).toBe(422);
      expect((await apiCall('POST', '/api/v1/integrations/test', d, 'application/x-ndjson')).status).toBe(
        200,
      );
    }
    const badEdit = await apiCall('PATCH', '/api/v1/integrations/jira', {
      jira: { auth: { kind: 'cloud', apiToken: WRONG.jira } },
    });
    expect(badEdit.status).toBe(422);
    const badEditStream = await apiCall(
      'PATCH',
      '/api/v1/integrations/gh',
      { github: { token: WRONG.gh } },
      'application/x-ndjson',
    );
    expect(badEditStream.text).toContain('"type":"error"');
    // Inputs that are refused for their shape while carrying a secret: the secret is not echoed.
    expect(
      (
        await apiCall('POST', '/api/v1/integrations', {
          name: 'x',
          type: 'git.github',
          sharing: { allRuntimes: true },
          github: { token: WRONG.gh, extra: WRONG.gh },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await apiCall('POST', '/api/v1/integrations', {
          name: 'x',
          type: 'registry.ecr',
          sharing: { allRuntimes: true },
          ecr: {
            region: REGION,
            auth: { mode: 'accessKey', accessKeyId: WRONG.aws, secretAccessKey: WRONG.aws },
          },
        })
      ).status,
    ).toBe(400);
    for (const path of [
      '/api/v1/integrations',
      '/api/v1/integrations/ecr',
      '/api/v1/integrations/gh',
      '/api/v1/integrations/jira',
      '/api/v1/runtimes',
      '/api/v1/runtimes/local',
      '/api/v1/config',
      '/api/v1/tokens',
    ]) {
      expect((await apiCall('GET', path)).status).toBe(200);
    }
  }, 240_000);

  it('reports an image enriched with GitHub and Jira, and fails one report on purpose', async () => {
    const tok = await run(['token', 'create', 'ci', '--scope', 'report', '--json']);
    const reportToken = JSON.parse(tok.stdout).token as string;
    const base = reportImageArgs(`${HOST}/team/app:v1`);
    const ok = await run(
      [
        ...base,
        '--git-repo',
        'acme/app',
        '--git-branch',
        'feature/PAY-7',
        '--git-sha',
        COMMIT,
        '--git-integration',
        'gh',
        '--issue-tracking-integration',
        'jira',
        '--jira-message',
        'Deploys PAY-7',
      ],
      { token: reportToken },
    );
    expect(ok.code, ok.stderr).toBe(0);
    const done = JSON.parse(ok.stdout);
    expect(done.status).toBe('succeeded');
    const detail = await apiCall('GET', `/api/v1/images/${done.result.imageId}`);
    expect(detail.json.issueDetails.map((i: { key: string }) => i.key)).toEqual(['PAY-7']);
    // Fails: no such tag (the registry says so, with the integration's credentials in play).
    const missing = await run(reportImageArgs(`${HOST}/team/app:nope`), { token: reportToken });
    expect(missing.code).toBe(1);
    await apiCall('GET', '/api/v1/images');
    await apiCall('GET', `/api/v1/image-reports/${done.id}`);
  }, 180_000);

  it('the argv of the server and of a CLI process reading a secret hold no secret', async () => {
    const serverArgv = await readFile(`/proc/${server.proc.pid}/cmdline`);
    keep('server /proc/cmdline', serverArgv.toString('utf8'));
    // A CLI process caught while it waits for the secret on stdin, then given it.
    const p = spawn(
      process.execPath,
      [
        BIN,
        'integration',
        'add',
        'github',
        'gh-argv2',
        '--api-url',
        github.apiUrl,
        '--token-stdin',
        '--all-runtimes',
      ],
      {
        env: baseEnv({ IMAGETRAIL_SERVER: server.url, IMAGETRAIL_TOKEN: server.adminToken }),
        stdio: ['pipe', 'pipe', 'pipe'],
        cwd: ROOT,
      },
    );
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const closed = new Promise<number | null>((r) => p.on('close', r));
    await new Promise((r) => setTimeout(r, 300));
    const before = await readFile(`/proc/${p.pid}/cmdline`).catch(() => Buffer.alloc(0));
    p.stdin.write(WRONG.gh);
    // While it works (the connection test), look again.
    await new Promise((r) => setTimeout(r, 50));
    const during = await readFile(`/proc/${p.pid}/cmdline`).catch(() => Buffer.alloc(0));
    p.stdin.end();
    const code = await closed;
    expect(code).toBe(1); // the wrong token fails its test
    expect(before.length).toBeGreaterThan(0);
    keep('CLI /proc/cmdline before stdin', before.toString('utf8'));
    keep('CLI /proc/cmdline after stdin', during.toString('utf8'));
    keep('CLI gh-argv2 output', out);
    expect(before.toString()).toContain('--token-stdin');
  }, 60_000);

  it('the dashboard shows no secret: HTML, console and every network response, JS bundles included', async () => {
    const browserDir = await mkdtemp(join(tmpdir(), 'imagetrail-chromium-'));
    let context: BrowserContext | undefined;
    try {
      context = await chromium.launchPersistentContext(browserDir, {
        executablePath: '/usr/bin/chromium',
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
          '--disable-quic',
        ],
      });
      const page = context.pages()[0] ?? (await context.newPage());
      const pending: Array<Promise<void>> = [];
      page.on('console', (m) => keep('browser console', m.text()));
      page.on('pageerror', (e) => keep('browser page error', String(e)));
      page.on('response', (res) => {
        pending.push(
          res
            .body()
            .then(
              (b) =>
                void keep(
                  `browser response ${res.status()} ${res.url()}`,
                  b.toString('utf8') + JSON.stringify(res.headers()),
                ),
            )
            .catch(() => undefined),
        );
      });
      await page.goto(server.url + '/');
      await page.getByLabel('API token').fill(server.adminToken);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { level: 1, name: 'Integrations' }).waitFor();
      const images = await apiCall('GET', '/api/v1/images');
      const imageId = images.json.items[0]?.id as string;
      for (const path of [
        '/integrations',
        '/integrations/ecr',
        '/integrations/gh',
        '/integrations/jira',
        '/integrations/_new',
        '/runtimes',
        '/images',
        `/images/${imageId}`,
      ]) {
        await page.goto(server.url + path);
        await page.waitForLoadState('networkidle');
        keep(`browser HTML ${path}`, await page.content());
        keep(`browser text ${path}`, await page.locator('body').innerText());
      }
      await Promise.all(pending);
      const bundles = captured.filter((c) => /browser response 200 .*\.js/.test(c.where));
      expect(bundles.length).toBeGreaterThan(0);
    } finally {
      await context?.close();
      await rm(browserDir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('the scan', () => {
  it('can see: a planted secret is found, in text and in bytes', () => {
    expect(findLeaks('probe', `x${GH_TOKEN}x`)).toHaveLength(2); // the token and the marker
    expect(findLeaks('probe', Buffer.from(`\u0000${s.users.ro.secretAccessKey}\u0000`))).toHaveLength(1);
    expect(findLeaks('probe', Buffer.from(`${JIRA_EMAIL}:${JIRA_TOKEN}`).toString('base64'))).toHaveLength(1);
  });

  it('finds no secret in captured outputs: API, CLI, argv, browser', () => {
    expect(captured.length).toBeGreaterThan(50);
    const leaks = captured.flatMap((c) => findLeaks(c.where, c.text));
    expect(leaks, leaks.join('\n')).toEqual([]);
  });

  it('finds no secret in the server log', () => {
    expect(server.logs().length).toBeGreaterThan(100);
    expect(server.logs()).toMatch(/integration/i); // canary: the log is captured
    const leaks = findLeaks('server log', server.logs());
    expect(leaks, leaks.join('\n')).toEqual([]);
  });

  it('finds no secret in any file of the data directory (SQLite database, WAL, keys, workspace)', async () => {
    const files: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else if (e.isFile()) files.push(p);
      }
    };
    await walk(server.dataDir);
    expect(files.some((f) => f.endsWith('imagetrail.db'))).toBe(true);
    const leaks: string[] = [];
    let all = Buffer.alloc(0);
    for (const f of files) {
      if ((await stat(f)).size > 64 * 1024 * 1024) continue;
      const bytes = await readFile(f);
      all = Buffer.concat([all, bytes]);
      leaks.push(...findLeaks(f.slice(server.dataDir.length), bytes));
    }
    // Canary: the raw bytes are readable — the access key ID (not a secret) and the commit are in there.
    expect(all.includes(Buffer.from(s.users.ro.accessKeyId))).toBe(true);
    expect(all.includes(Buffer.from(COMMIT))).toBe(true);
    expect(leaks, leaks.join('\n')).toEqual([]);
  });

  it('finds no secret in the Git history or any Git object, of the remote and of the server clone', async () => {
    const repos = [remote.path];
    const walk = async (dir: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        if (!e.isDirectory()) continue;
        if (e.name === '.git') repos.push(join(dir, e.name));
        else await walk(join(dir, e.name));
      }
    };
    await walk(server.dataDir);
    expect(repos.length).toBeGreaterThanOrEqual(2);
    const leaks: string[] = [];
    for (const repo of repos) {
      const log = await git(repo, 'log', '-p', '--all');
      expect(log.length).toBeGreaterThan(1000);
      leaks.push(...findLeaks(`git log -p --all of ${repo}`, log));
      const { stdout } = await exec('git', ['cat-file', '--batch-all-objects', '--batch'], {
        cwd: repo,
        maxBuffer: 256 * 1024 * 1024,
        encoding: 'buffer',
      });
      expect(stdout.length).toBeGreaterThan(1000);
      // Canary: the objects are read decompressed — the access key ID (stored in clear by design) shows.
      expect(stdout.includes(Buffer.from(s.users.ro.accessKeyId))).toBe(true);
      leaks.push(...findLeaks(`git objects of ${repo}`, stdout));
    }
    expect(leaks, leaks.join('\n')).toEqual([]);
  });
});
