import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../peers/fake-github.js';
import { api, cli, startImagetrail, type ServerHandle } from '../helpers/imagetrail.js';
import { bareRemote } from '../helpers/git.js';

// The audit trail through the API and the CLI, against a real server: what admins did is readable,
// filterable and paged, and the secrets they handled are never in it.

const FIRST_TOKEN = 'ghp_auditDistinctiveGitHubToken0000001';
const SECOND_TOKEN = 'ghp_auditDistinctiveGitHubToken0000002';

interface AuditItem {
  id: string;
  at: string;
  actor: { id: string; name: string } | null;
  action: string;
  target: string | null;
  detail: Record<string, unknown>;
}

let github: FakeGitHub;
/** Where the edit moves the integration, with a new token. */
let github2: FakeGitHub;
let remote: Awaited<ReturnType<typeof bareRemote>>;
let server: ServerHandle;
let startedAt: string;
/** Every raw answer of the audit API, to search for secrets. */
const seen: string[] = [];

async function auditPage(query: string): Promise<{ items: AuditItem[]; nextCursor: string | null }> {
  const r = await api(server, 'GET', `/api/v1/audit${query}`);
  expect(r.status, r.text).toBe(200);
  seen.push(r.text);
  return r.json;
}

/** The whole trail, walked two events at a time through the cursor. */
async function allEvents(): Promise<AuditItem[]> {
  const out: AuditItem[] = [];
  let cursor: string | null = null;
  do {
    const page = await auditPage(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    expect(page.items.length).toBeLessThanOrEqual(2);
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

beforeAll(async () => {
  [github, github2, remote] = await Promise.all([
    startFakeGitHub({ token: FIRST_TOKEN, login: 'octo-bot', scopes: ['repo'], repos: {} }),
    startFakeGitHub({ token: SECOND_TOKEN, login: 'octo-bot', scopes: ['repo'], repos: {} }),
    bareRemote(),
  ]);
  server = await startImagetrail({ configRepo: remote.url });
  startedAt = new Date().toISOString();

  const add = await api(server, 'POST', '/api/v1/integrations', {
    name: 'gh',
    type: 'git.github',
    sharing: { allRuntimes: true },
    github: { apiUrl: github.apiUrl, token: FIRST_TOKEN },
  });
  expect(add.status, add.text).toBe(201);
  const test = await api(server, 'POST', '/api/v1/integrations/gh/test');
  expect(test.status, test.text).toBe(200);
  const edit = await api(server, 'PATCH', '/api/v1/integrations/gh', {
    github: { apiUrl: github2.apiUrl, token: SECOND_TOKEN },
  });
  expect(edit.status, edit.text).toBe(200);
  const draft = await api(server, 'POST', '/api/v1/integrations/test', {
    name: 'gh',
    type: 'git.github',
    github: { apiUrl: github2.apiUrl },
  });
  expect(draft.status, draft.text).toBe(200);

  const created = await api(server, 'POST', '/api/v1/tokens', { name: 'ci-audit', scopes: ['report'] });
  expect(created.status, created.text).toBe(201);
  expect((await api(server, 'DELETE', `/api/v1/tokens/${created.json.id}`)).status).toBe(200);
  const viewer = await api(server, 'POST', '/api/v1/tokens', { name: 'audit-viewer', scopes: ['viewer'] });
  expect(viewer.status).toBe(201);
  const rt = await api(server, 'POST', '/api/v1/runtimes', {
    name: 'edge',
    type: 'hybrid',
    version: '0.2.0',
  });
  expect(rt.status, rt.text).toBe(201);
  expect((await api(server, 'POST', '/api/v1/config/sync')).status).toBe(200);
  const signIn = await api(server, 'POST', '/api/v1/session', undefined, viewer.json.token);
  expect(signIn.status, signIn.text).toBe(200);
  expect(signIn.json).toMatchObject({ name: 'audit-viewer', scopes: ['viewer'] });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await Promise.all([github?.stop(), github2?.stop(), remote?.cleanup()]);
});

describe('GET /api/v1/audit', () => {
  it('records configuration, token and runtime changes, secret uses and sign-ins, with who did them', async () => {
    const events = await allEvents();
    const actions = events.map((e) => e.action);
    for (const a of [
      'integration.create',
      'integration.edit',
      'integration.secret-use',
      'token.create',
      'token.revoke',
      'runtime.add',
      'recipient.pin',
      'config.sync',
      'session.sign-in',
    ])
      expect(actions, a).toContain(a);
    // Newest first, ids unique across pages.
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect([...events.map((e) => e.id)].sort().reverse()).toEqual(events.map((e) => e.id));

    const uses = events.filter((e) => e.action === 'integration.secret-use').map((e) => e.detail['use']);
    expect(uses).toEqual(expect.arrayContaining(['test', 'draft-test']));
    const signIn = events.find((e) => e.action === 'session.sign-in')!;
    expect(signIn.actor?.name).toBe('audit-viewer');
    const add = events.find((e) => e.action === 'runtime.add')!;
    expect(add).toMatchObject({ target: 'edge', actor: { name: 'initial admin' } });
    expect(add.detail).toMatchObject({ type: 'hybrid', version: '0.2.0' });
    const token = events.find((e) => e.action === 'token.create' && e.detail['name'] === 'ci-audit')!;
    expect(token.detail).toEqual({ name: 'ci-audit', scopes: ['report'] });
  });

  it('filters by action (or family), actor (id or name) and time', async () => {
    const tokens = (await auditPage('?action=token.*')).items;
    expect(new Set(tokens.map((e) => e.action))).toEqual(new Set(['token.create', 'token.revoke']));
    const byName = (await auditPage('?actor=audit-viewer')).items;
    expect(byName.map((e) => e.action)).toEqual(['session.sign-in']);
    const byId = (await auditPage(`?actor=${byName[0]!.actor!.id}`)).items;
    expect(byId).toEqual(byName);
    expect((await auditPage('?actor=nobody-has-this-name')).items).toEqual([]);
    const future = (await auditPage('?since=2999-01-01T00:00:00Z')).items;
    expect(future).toEqual([]);
    const recent = (await auditPage(`?since=${startedAt}&action=runtime.add`)).items;
    expect(recent.map((e) => e.target)).toEqual(['edge']);
  });

  it('bad filters are a 400 saying what to fix', async () => {
    for (const [q, field] of [
      ['?since=yesterday', 'since'],
      ['?limit=0', 'limit'],
      ['?limit=5000', 'limit'],
      ['?cursor=abc', 'cursor'],
      ['?action=DROP%20TABLE', 'action'],
      ['?colour=red', 'colour'],
    ]) {
      const r = await api(server, 'GET', `/api/v1/audit${q}`);
      expect(r.status, `${q}: ${r.text}`).toBe(400);
      expect(r.json.error.message, q).toContain(field);
    }
  });

  it('never holds a secret the admin entered', async () => {
    await allEvents();
    const all = seen.join('\n');
    expect(all).toContain('integration.secret-use');
    expect(all).not.toContain(FIRST_TOKEN);
    expect(all).not.toContain(SECOND_TOKEN);
  });
});

describe('imagetrail audit list', () => {
  it('prints a table, filters, pages, and --json; never a secret', async () => {
    const table = await cli(server, ['audit', 'list', '--action', 'integration.*']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^TIME\s+ACTOR\s+ACTION\s+TARGET\s+DETAIL/);
    expect(table.stdout).toContain('integration.secret-use');
    expect(table.stdout).not.toContain('token.create');

    const page = await cli(server, ['audit', 'list', '--limit', '1', '--json']);
    expect(page.code, page.stderr).toBe(0);
    const first = JSON.parse(page.stdout) as { items: AuditItem[]; nextCursor: string };
    expect(first.items).toHaveLength(1);
    const next = await cli(server, ['audit', 'list', '--limit', '1', '--cursor', first.nextCursor, '--json']);
    const second = JSON.parse(next.stdout) as { items: AuditItem[] };
    expect(second.items[0]!.id < first.items[0]!.id).toBe(true);

    const mine = await cli(server, ['audit', 'list', '--actor', 'audit-viewer', '--since', startedAt]);
    expect(mine.stdout).toContain('session.sign-in');
    expect(mine.stdout).not.toContain('runtime.add');

    // The largest page the API allows is a page, not a 400 (the route asks the store for one more row).
    const everything = await cli(server, ['audit', 'list', '--limit', '1000']);
    expect(everything.code, everything.stderr).toBe(0);
    for (const out of [table, page, next, mine, everything]) {
      expect(out.stdout + out.stderr).not.toContain(FIRST_TOKEN);
      expect(out.stdout + out.stderr).not.toContain(SECOND_TOKEN);
    }
  });

  it('a bad --since exits 2 with the fix; a viewer token is refused: exit 3 naming the admin scope', async () => {
    const bad = await cli(server, ['audit', 'list', '--since', 'last tuesday']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('ISO 8601');
    const viewerToken = (
      await api(server, 'POST', '/api/v1/tokens', { name: 'audit-viewer-2', scopes: ['viewer'] })
    ).json.token as string;
    const refused = await cli(server, ['audit', 'list'], { token: viewerToken });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('"admin"');
  });
});
