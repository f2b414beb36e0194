import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startFakeGitHub, type FakeGitHub } from '../peers/fake-github.js';
import { startFakeJira, type FakeJira } from '../peers/fake-jira.js';
import { api, cli, startImagetrail, type ServerHandle } from '../helpers/imagetrail.js';
import { bareRemote, git } from '../helpers/git.js';

// GitHub and Jira integrations end to end: the real CLI against a real server, the fake GitHub and Jira
// peers on loopback, and a bare Git remote as the shared configuration repository.

const exec = promisify(execFile);
const GH_TOKEN = 'ghp_e2eDistinctiveGitHubToken0001';
const GH_TOKEN_2 = 'ghp_e2eDistinctiveGitHubToken0002';
const JIRA_EMAIL = 'bot@example.com';
const JIRA_TOKEN = 'jira-e2e-distinctive-api-token-0001';

let github: FakeGitHub;
let jira: FakeJira;
let remote: Awaited<ReturnType<typeof bareRemote>>;
let server: ServerHandle;

async function remoteHead(): Promise<string> {
  return (await git(remote.path, 'rev-parse', 'main')).trim();
}

async function remoteFile(path: string): Promise<string> {
  return git(remote.path, 'show', `main:${path}`);
}

/** Decrypts a sealed value with the in-process runtime's identity, using the stock age CLI; returns the value. */
async function ageDecrypt(sealed: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'age-'));
  try {
    await writeFile(join(dir, 'sealed.age'), sealed);
    const { stdout } = await exec('age', [
      '-d',
      '-i',
      join(server.dataDir, 'keys', 'runtimes', 'local.agekey'),
      join(dir, 'sealed.age'),
    ]);
    // The plaintext is `{v, binding, value}`: the secret with where it may be used.
    return (JSON.parse(stdout) as { value: string }).value;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  [github, jira, remote] = await Promise.all([
    startFakeGitHub({ token: GH_TOKEN, login: 'octo-bot', scopes: ['repo', 'read:org'], repos: {} }),
    startFakeJira({ flavor: 'cloud', email: JIRA_EMAIL, apiToken: JIRA_TOKEN, issues: [] }),
    bareRemote(),
  ]);
  server = await startImagetrail({ configRepo: remote.url });
});

afterAll(async () => {
  await server?.stop();
  await Promise.all([github?.stop(), jira?.stop(), remote?.cleanup()]);
});

describe('git.github', () => {
  it('add: tested with GET /user, committed with the token sealed for the runtime', async () => {
    const before = await remoteHead();
    const r = await cli(
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
        '--json',
      ],
      { stdin: GH_TOKEN + '\n' },
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.test).toMatchObject({ ok: true, runtime: { name: 'local' }, identity: { login: 'octo-bot' } });
    expect(out.test.checks[0]).toMatchObject({ name: 'github:GET /user', ok: true });
    expect(out.integration).toMatchObject({
      name: 'gh',
      type: 'git.github',
      mode: 'token',
      github: { apiUrl: github.apiUrl, token: { set: true } },
    });
    expect(out.integration.ecr).toBeUndefined();
    expect(JSON.stringify(out)).not.toContain(GH_TOKEN);
    expect(await remoteHead()).not.toBe(before);
    const user = github.requests.find((q) => q.url === '/user');
    expect(user?.headers['authorization']).toBe(`Bearer ${GH_TOKEN}`);

    const doc = parse(await remoteFile('resources/all-runtimes-all-clusters/gh.yaml'));
    expect(doc.spec).toMatchObject({ type: 'git.github', github: { apiUrl: github.apiUrl } });
    expect(doc.spec.github.token.sealed).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----/);
    expect(await ageDecrypt(doc.spec.github.token.sealed)).toBe(GH_TOKEN);
  });

  it('add with a wrong token: exit 1, the failed check on stderr, nothing committed', async () => {
    const before = await remoteHead();
    const r = await cli(
      server,
      ['integration', 'add', 'github', 'gh-bad', '--api-url', github.apiUrl, '--all-runtimes'],
      { env: { GITHUB_TOKEN: 'ghp_wrongWrongWrongWrong' } },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('rejected the token');
    expect(r.stderr).toContain('Nothing was committed');
    expect(r.stderr).not.toContain('ghp_wrongWrongWrongWrong');
    expect(await remoteHead()).toBe(before);
    expect((await cli(server, ['integration', 'show', 'gh-bad'])).code).toBe(1);
  });

  it('a token in argv is a usage error (exit 2); a missing token says how to pass one', async () => {
    const argv = await cli(server, [
      'integration',
      'add',
      'github',
      'x',
      '--github-token',
      'abc',
      '--all-runtimes',
    ]);
    expect(argv.code).toBe(2);
    const none = await cli(server, ['integration', 'add', 'github', 'x', '--all-runtimes']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--token-stdin');
  });

  it('edit without a token keeps the stored one (and tests with it); --token-stdin rotates it', async () => {
    const kept = await cli(server, ['integration', 'edit', 'gh', '--description', 'kept token', '--json']);
    expect(kept.code, kept.stderr).toBe(0);
    const out = JSON.parse(kept.stdout);
    expect(out.integration.description).toBe('kept token');
    let doc = parse(await remoteFile('resources/all-runtimes-all-clusters/gh.yaml'));
    expect(await ageDecrypt(doc.spec.github.token.sealed)).toBe(GH_TOKEN);

    // A new token that GitHub rejects is refused; the stored one stays.
    const before = await remoteHead();
    const bad = await cli(server, ['integration', 'edit', 'gh', '--token-stdin'], { stdin: GH_TOKEN_2 });
    expect(bad.code).toBe(1);
    expect(await remoteHead()).toBe(before);
    const skipped = await cli(server, ['integration', 'edit', 'gh', '--token-stdin', '--skip-test'], {
      stdin: GH_TOKEN_2,
    });
    expect(skipped.code, skipped.stderr).toBe(0);
    doc = parse(await remoteFile('resources/all-runtimes-all-clusters/gh.yaml'));
    expect(await ageDecrypt(doc.spec.github.token.sealed)).toBe(GH_TOKEN_2);
    // ECR options do not apply to a GitHub integration.
    const wrongType = await cli(server, ['integration', 'edit', 'gh', '--region', 'eu-west-1']);
    expect(wrongType.code).toBe(2);
    expect(wrongType.stderr).toContain('git.github');
    const back = await cli(server, ['integration', 'edit', 'gh', '--token-stdin'], { stdin: GH_TOKEN });
    expect(back.code, back.stderr).toBe(0);
  });

  it('integration test runs GET /user on the local runtime', async () => {
    const r = await cli(server, ['integration', 'test', 'gh', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, identity: { login: 'octo-bot' } });
  });
});

describe('issue.jira', () => {
  it('add (Cloud, token from env): tested with /rest/api/3/myself, committed with the token sealed', async () => {
    const r = await cli(
      server,
      [
        'integration',
        'add',
        'jira',
        'tickets',
        '--base-url',
        jira.baseUrl,
        '--email',
        JIRA_EMAIL,
        '--project-prefix',
        'PROJ,OPS',
        '--runtime',
        'local',
        '--json',
      ],
      { env: { JIRA_API_TOKEN: JIRA_TOKEN } },
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.test).toMatchObject({ ok: true, identity: { displayName: 'Imagetrail Bot' } });
    expect(out.integration.jira).toEqual({
      baseUrl: jira.baseUrl,
      auth: { kind: 'cloud', email: JIRA_EMAIL, apiToken: { set: true } },
      projectPrefixes: 'PROJ,OPS',
    });
    expect(jira.requests.some((q) => q.url === '/rest/api/3/myself')).toBe(true);
    const doc = parse(await remoteFile('resources/runtimes/local/tickets.yaml'));
    expect(doc.spec.type).toBe('issue.jira');
    expect(await ageDecrypt(doc.spec.jira.auth.apiToken.sealed)).toBe(JIRA_TOKEN);
  });

  it('add with a wrong API token: exit 1, nothing committed', async () => {
    const before = await remoteHead();
    const r = await cli(
      server,
      [
        'integration',
        'add',
        'jira',
        'bad-jira',
        '--base-url',
        jira.baseUrl,
        '--email',
        JIRA_EMAIL,
        '--api-token-stdin',
        '--all-runtimes',
      ],
      { stdin: 'not-the-right-token' },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Nothing was committed');
    expect(await remoteHead()).toBe(before);
  });

  it('edit changes defaults and keeps the stored API token', async () => {
    const r = await cli(server, [
      'integration',
      'edit',
      'tickets',
      '--project-prefix',
      'OPS',
      '--fail-on-not-found',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).integration.jira).toMatchObject({
      projectPrefixes: 'OPS',
      failOnNotFound: true,
    });
    const doc = parse(await remoteFile('resources/runtimes/local/tickets.yaml'));
    expect(await ageDecrypt(doc.spec.jira.auth.apiToken.sealed)).toBe(JIRA_TOKEN);
    const off = await cli(server, [
      'integration',
      'edit',
      'tickets',
      '--no-fail-on-not-found',
      '--project-prefix',
      '',
      '--skip-test',
      '--json',
    ]);
    expect(off.code, off.stderr).toBe(0);
    const jiraView = JSON.parse(off.stdout).integration.jira;
    expect(jiraView.failOnNotFound).toBe(false);
    expect(jiraView.projectPrefixes).toBeUndefined();
  });
});

describe('every type together', () => {
  it('list and show print each type with its fields; secrets only as set', async () => {
    const list = await cli(server, ['integration', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const items = JSON.parse(list.stdout);
    expect(items.map((i: { name: string; type: string; mode: string }) => [i.name, i.type, i.mode])).toEqual([
      ['gh', 'git.github', 'token'],
      ['tickets', 'issue.jira', 'cloud'],
    ]);
    const table = await cli(server, ['integration', 'list']);
    expect(table.stdout).toMatch(/gh\s+git\.github\s+token/);
    expect(table.stdout).toMatch(/tickets\s+issue\.jira\s+cloud/);

    const show = await cli(server, ['integration', 'show', 'tickets']);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain('Integration: tickets (issue.jira)');
    expect(show.stdout).toContain(`baseUrl: ${jira.baseUrl}`);
    expect(show.stdout).toContain('"apiToken":{"set":true}');
    const gh = await cli(server, ['integration', 'show', 'gh']);
    expect(gh.stdout).toContain(`apiUrl: ${github.apiUrl}`);
    expect(gh.stdout).toContain('token: {"set":true}');

    const rt = JSON.parse((await cli(server, ['runtime', 'show', 'local', '--json'])).stdout);
    expect(rt.integrations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'gh', type: 'git.github', mode: 'token', available: true }),
        expect.objectContaining({ name: 'tickets', type: 'issue.jira', mode: 'cloud', available: true }),
      ]),
    );
  });

  it('a runtime that joins gets the all-runtimes GitHub token re-sealed for it', async () => {
    const r = await cli(server, [
      'runtime',
      'add',
      'cloud',
      '--type',
      'hosted',
      '--version',
      '0.2.0',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const cloud = parse(await remoteFile('runtimes/cloud/runtime.yaml')).spec.recipient as string;
    const doc = parse(await remoteFile('resources/all-runtimes-all-clusters/gh.yaml'));
    expect(doc.spec.github.token.recipients).toContain(cloud);
    // Jira is shared with local only: its recipients do not change.
    const tickets = parse(await remoteFile('resources/runtimes/local/tickets.yaml'));
    expect(tickets.spec.jira.auth.apiToken.recipients).not.toContain(cloud);
    // Available on a hosted runtime: GitHub needs no cloud identity.
    const show = JSON.parse((await cli(server, ['integration', 'show', 'gh', '--json'])).stdout);
    expect(show.availability).toEqual(
      expect.arrayContaining([expect.objectContaining({ runtime: 'cloud', available: true })]),
    );
  });

  it('a draft test through the API keeps the stored secret when the draft leaves it out', async () => {
    const r = await api(server, 'POST', '/api/v1/integrations/test', {
      name: 'gh',
      github: { apiUrl: github.apiUrl },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({ ok: true, identity: { login: 'octo-bot' } });
    const mixed = await api(server, 'POST', '/api/v1/integrations', {
      name: 'mixed',
      type: 'git.github',
      sharing: { allRuntimes: true },
      github: { token: 'ghp_x_x_x_x_x' },
      jira: { baseUrl: jira.baseUrl },
    });
    expect(mixed.status).toBe(400);
    expect(mixed.json.error.message).toContain('jira');
  });

  it('delete removes the resource and its sealed token in one commit', async () => {
    const before = await remoteHead();
    const r = await cli(server, ['integration', 'delete', 'gh', '--confirm', 'DELETE', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).removed).toEqual(['resources/all-runtimes-all-clusters/gh.yaml']);
    const after = await remoteHead();
    expect((await git(remote.path, 'rev-list', '--count', `${before}..${after}`)).trim()).toBe('1');
    expect((await cli(server, ['integration', 'show', 'gh'])).code).toBe(1);
  });

  it('no token appears in clear in the repository history or the server log', async () => {
    const history = await git(remote.path, 'log', '-p', '--all');
    for (const secret of [
      GH_TOKEN,
      GH_TOKEN_2,
      JIRA_TOKEN,
      'ghp_wrongWrongWrongWrong',
      'not-the-right-token',
    ]) {
      expect(history).not.toContain(secret);
      expect(server.logs()).not.toContain(secret);
    }
  });
});
