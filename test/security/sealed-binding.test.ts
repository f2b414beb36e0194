import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { openDatabase } from '../../src/store/database.js';
import { SqlAuditStore } from '../../src/store/sql-audit-store.js';
import { startFakeGitHub, type FakeGitHub } from '../peers/fake-github.js';
import { api, cli, startImagetrail, type ServerHandle } from '../helpers/imagetrail.js';
import { bareRemote, personClone } from '../helpers/git.js';

// Issue 8, findings 1, 2 and 4, written as the attacks: someone with push access to the shared
// configuration repository (and an admin abusing the draft test) tries to make the server send a stored
// secret to a host they control. A capture server on loopback stands for that host; it must receive nothing.

const exec = promisify(execFile);
const GH_TOKEN = 'ghp_bindingDistinctiveGitHubToken01';
const ECR_SECRET = 'ecrBindingDistinctiveSecretAccessKey0001';
const JIRA_TOKEN = 'jira-binding-distinctive-api-token-0001';
const NOWHERE = 'http://127.0.0.1:9'; // discard port: nothing listens, nothing leaves the machine
const SHARED = 'resources/all-runtimes-all-clusters';

interface Capture {
  url: string;
  requests: Array<{ method: string; url: string; authorization?: string }>;
  stop(): Promise<void>;
}

/** The attacker's host: records every request it gets. */
async function startCapture(): Promise<Capture> {
  const requests: Capture['requests'] = [];
  const server: Server = createServer((req, res) => {
    requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    res.writeHead(401, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise((ok) => server.close(() => ok())),
  };
}

let github: FakeGitHub;
let capture: Capture;
let remote: Awaited<ReturnType<typeof bareRemote>>;
let person: Awaited<ReturnType<typeof personClone>>;
let dataDir: string;
let server: ServerHandle;

async function status(): Promise<Array<{ file: string; path: string; severity: string; message: string }>> {
  const r = await api(server, 'POST', '/api/v1/config/sync');
  expect(r.status, r.text).toBe(200);
  return r.json.problems;
}

/** A Git writer's commit: `edit` changes the parsed resource of `file`; returns a function that reverts it. */
async function gitWriter(file: string, edit: (doc: any) => void): Promise<() => Promise<void>> {
  await person.pull();
  const before = await person.read(file);
  const doc = parse(before);
  edit(doc);
  await person.write(file, stringify(doc, { lineWidth: 0 }));
  await person.commitAndPush(`attacker: edit ${file}`);
  return async () => {
    await person.pull();
    await person.write(file, before);
    await person.commitAndPush(`revert ${file}`);
    await status();
  };
}

async function sealedOf(file: string, at: (doc: any) => unknown): Promise<unknown> {
  await person.pull();
  return at(parse(await person.read(file)));
}

async function auditEvents(): Promise<Array<{ action: string; target: string | null; detail: any }>> {
  const store = openDatabase(`sqlite:${join(dataDir, 'imagetrail.db')}`);
  try {
    return await new SqlAuditStore({ db: store.db }).list({ limit: 1000 });
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  [github, capture, remote] = await Promise.all([
    startFakeGitHub({ token: GH_TOKEN, login: 'octo-bot', scopes: ['repo'], repos: {} }),
    startCapture(),
    bareRemote(),
  ]);
  dataDir = await mkdtemp(join(tmpdir(), 'imagetrail-binding-'));
  server = await startImagetrail({ configRepo: remote.url, dataDir });
  const adds = [
    cli(
      server,
      [
        'integration',
        'add',
        'github',
        'gh',
        '--api-url',
        github.apiUrl,
        '--token-stdin',
        '--all-runtimes',
        '--skip-test',
      ],
      { stdin: GH_TOKEN },
    ),
    cli(
      server,
      [
        'integration',
        'add',
        'jira',
        'jr',
        '--base-url',
        `${NOWHERE}/jira`,
        '--email',
        'bot@example.com',
        '--api-token-stdin',
        '--all-runtimes',
        '--skip-test',
      ],
      { stdin: JIRA_TOKEN },
    ),
    cli(
      server,
      [
        'integration',
        'add',
        'ecr',
        'ecr',
        '--region',
        'eu-west-1',
        '--access-key-id',
        'AKIAIOSFODNN7EXAMPLE',
        '--secret-access-key-stdin',
        '--api-endpoint',
        NOWHERE,
        '--sts-endpoint',
        NOWHERE,
        '--registry-endpoint',
        NOWHERE,
        '--all-runtimes',
        '--skip-test',
      ],
      { stdin: ECR_SECRET },
    ),
  ];
  for (const add of adds) {
    const r = await add;
    expect(r.code, r.stderr).toBe(0);
  }
  person = await personClone(remote.url);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await person?.cleanup();
  await Promise.all([github?.stop(), capture?.stop(), remote?.cleanup()]);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('finding 1: a sealed value is bound to its integration, field and destinations', () => {
  it("ECR's secret access key moved into a GitHub token next to the attacker's apiUrl is refused", async () => {
    const stolen = await sealedOf(`${SHARED}/ecr.yaml`, (d) => d.spec.ecr.auth.secretAccessKey);
    const revert = await gitWriter(`${SHARED}/gh.yaml`, (d) => {
      d.spec.github.token = stolen;
      d.spec.github.apiUrl = capture.url;
    });
    const problems = await status();
    expect(problems).toContainEqual(
      expect.objectContaining({ file: `${SHARED}/gh.yaml`, path: 'spec.github.token', severity: 'error' }),
    );
    const p = problems.find((x) => x.path === 'spec.github.token')!;
    expect(p.message).toContain('sealed for another place');
    // The last valid version keeps serving: the stored test goes to the real GitHub, not the capture.
    const view = await api(server, 'GET', '/api/v1/integrations/gh');
    expect(view.json.github.apiUrl).toBe(github.apiUrl);
    const test = await api(server, 'POST', '/api/v1/integrations/gh/test');
    expect(test.json.ok, test.text).toBe(true);
    expect(capture.requests).toEqual([]);
    await revert();
  });

  it.each([
    ['GitHub apiUrl', 'gh', 'spec.github.token', (d: any) => (d.spec.github.apiUrl = capture.url)],
    ['Jira baseUrl', 'jr', 'spec.jira.auth.apiToken', (d: any) => (d.spec.jira.baseUrl = capture.url)],
    [
      'ECR registry endpoint',
      'ecr',
      'spec.ecr.auth.secretAccessKey',
      (d: any) => (d.spec.ecr.endpoints.registry = capture.url),
    ],
  ])('only the %s changed in Git: refused, nothing sent', async (_what, name, field, edit) => {
    const revert = await gitWriter(`${SHARED}/${name}.yaml`, edit);
    const problems = await status();
    expect(problems).toContainEqual(
      expect.objectContaining({ file: `${SHARED}/${name}.yaml`, path: field, severity: 'error' }),
    );
    await api(server, 'POST', `/api/v1/integrations/${name}/test`);
    expect(capture.requests).toEqual([]);
    await revert();
  });

  it('the CLI config status names the file and the field', async () => {
    const revert = await gitWriter(`${SHARED}/jr.yaml`, (d) => (d.spec.jira.baseUrl = capture.url));
    await status();
    const r = await cli(server, ['config', 'status']);
    expect(r.stdout + r.stderr).toContain(`${SHARED}/jr.yaml`);
    expect(r.stdout + r.stderr).toContain('spec.jira.auth.apiToken');
    await revert();
  });

  it('a sealed value reads by hand with the README command (yq -r | age -d | jq -r .value)', async () => {
    await person.pull();
    const key = join(dataDir, 'keys', 'runtimes', 'local.agekey');
    const { stdout } = await exec(
      'sh',
      ['-c', `yq -r '.spec.github.token.sealed' ${SHARED}/gh.yaml | age -d -i "$KEY" | jq -r .value`],
      { cwd: person.dir, env: { ...process.env, KEY: key } },
    );
    expect(stdout.trim()).toBe(GH_TOKEN);
    const plain = await exec(
      'sh',
      ['-c', `yq -r '.spec.github.token.sealed' ${SHARED}/gh.yaml | age -d -i "$KEY"`],
      {
        cwd: person.dir,
        env: { ...process.env, KEY: key },
      },
    );
    expect(JSON.parse(plain.stdout).binding).toEqual({
      kind: 'Integration',
      type: 'git.github',
      name: 'gh',
      field: 'spec.github.token',
      destinations: { apiUrl: github.apiUrl },
    });
  });
});

describe('finding 4: a stored secret goes only where it was sealed for', () => {
  it('draft test with a new apiUrl and no token: 400 naming the field, the capture gets nothing', async () => {
    const r = await api(server, 'POST', '/api/v1/integrations/test', {
      name: 'gh',
      type: 'git.github',
      github: { apiUrl: capture.url },
    });
    expect(r.status, r.text).toBe(400);
    expect(r.text).toContain('github.token');
    expect(capture.requests).toEqual([]);
  });

  it('draft test for the same destinations re-uses the stored secret, and the use is audited', async () => {
    const r = await api(server, 'POST', '/api/v1/integrations/test', {
      name: 'gh',
      type: 'git.github',
      github: { apiUrl: github.apiUrl },
    });
    expect(r.status, r.text).toBe(200);
    const events = await auditEvents();
    const uses = events.filter((e) => e.action === 'integration.secret-use' && e.target === 'gh');
    expect(uses.map((e) => e.detail.use)).toEqual(expect.arrayContaining(['test', 'draft-test']));
    const draft = uses.find((e) => e.detail.use === 'draft-test')!;
    expect(draft.detail.destinations).toEqual({ apiUrl: github.apiUrl });
    expect(JSON.stringify(events)).not.toContain(GH_TOKEN);
  });

  it('edit that moves the apiUrl without the token: CLI exit 2, says to enter the token again', async () => {
    const r = await cli(server, ['integration', 'edit', 'gh', '--api-url', capture.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('github.token');
    expect(capture.requests).toEqual([]);
    const api400 = await api(server, 'PATCH', '/api/v1/integrations/gh', {
      github: { apiUrl: capture.url },
      skipTest: true,
    });
    expect(api400.status, api400.text).toBe(400);
    expect(api400.json.error.details[0].path).toBe('github.token');
  });
});

describe('finding 2: recipients are pinned outside Git', () => {
  it("an attacker's recipient in control-plane.yaml and runtime.yaml is reported and never sealed for", async () => {
    const keyDir = await mkdtemp(join(tmpdir(), 'attacker-'));
    const keyFile = join(keyDir, 'key.txt');
    await exec('age-keygen', ['-o', keyFile]);
    const attacker = (await exec('age-keygen', ['-y', keyFile])).stdout.trim();
    await gitWriter('resources/control-planes/control-plane.yaml', (d) => (d.spec.recipient = attacker));
    await gitWriter('runtimes/local/runtime.yaml', (d) => (d.spec.recipient = attacker));
    const problems = await status();
    for (const file of ['resources/control-planes/control-plane.yaml', 'runtimes/local/runtime.yaml']) {
      expect(problems).toContainEqual(
        expect.objectContaining({ file, path: 'spec.recipient', severity: 'error' }),
      );
    }

    // Routine admin work after the attack.
    const add = await cli(
      server,
      [
        'integration',
        'add',
        'github',
        'gh2',
        '--api-url',
        github.apiUrl,
        '--token-stdin',
        '--all-runtimes',
        '--skip-test',
      ],
      { stdin: GH_TOKEN },
    );
    expect(add.code, add.stderr).toBe(0);
    const rt = await cli(server, ['runtime', 'add', 'cloud', '--type', 'hosted', '--version', '0.2.0']);
    expect(rt.code, rt.stderr).toBe(0);

    // Restarts fine, still says what is wrong.
    await server.stop();
    server = await startImagetrail({ configRepo: remote.url, dataDir });
    const after = await status();
    expect(after).toContainEqual(
      expect.objectContaining({
        file: 'resources/control-planes/control-plane.yaml',
        path: 'spec.recipient',
      }),
    );

    await person.pull();
    for (const name of ['gh', 'gh2', 'jr', 'ecr']) {
      const doc = parse(await person.read(`${SHARED}/${name}.yaml`));
      const text = JSON.stringify(doc);
      expect(text).not.toContain(attacker);
      const sealed = /"sealed":"([^"]+)"/.exec(text)![1]!.replace(/\\n/g, '\n');
      const file = join(keyDir, `${name}.age`);
      await writeFile(file, sealed);
      await expect(exec('age', ['-d', '-i', keyFile, file])).rejects.toThrow();
    }
    expect(await readFile(keyFile, 'utf8')).toContain('AGE-SECRET-KEY-1');
    await rm(keyDir, { recursive: true, force: true });
  }, 120_000);
});
