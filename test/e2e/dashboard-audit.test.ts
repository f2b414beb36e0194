import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, signInWithToken, type Browser } from '../helpers/chromium.js';
import { startFakeGitHub, type FakeGitHub } from '../peers/fake-github.js';
import { api, startImagetrail, type ServerHandle } from '../helpers/imagetrail.js';

// The dashboard's Audit page in Debian's Chromium (playwright-core), against a real `imagetrail serve`:
// the sign-in itself is on the trail, filters narrow it, a viewer is refused, and the GitHub token the
// admin entered (added, tested, edited) is nowhere on the page.

const SECRET = 'ghp_dashboardAuditDistinctiveToken000001';

let github: FakeGitHub;
let server: ServerHandle;
let browser: Browser;
let context: BrowserContext;
let viewerToken: string;

function signIn(p: Page, token: string): Promise<void> {
  return signInWithToken(p, server.url, token);
}

beforeAll(async () => {
  github = await startFakeGitHub({ token: SECRET, login: 'octo-bot', scopes: ['repo'], repos: {} });
  server = await startImagetrail();
  const add = await api(server, 'POST', '/api/v1/integrations', {
    name: 'gh',
    type: 'git.github',
    sharing: { allRuntimes: true },
    github: { apiUrl: github.apiUrl, token: SECRET },
  });
  expect(add.status, add.text).toBe(201);
  expect((await api(server, 'POST', '/api/v1/integrations/gh/test')).status).toBe(200);
  const edit = await api(server, 'PATCH', '/api/v1/integrations/gh', {
    description: 'audited',
    github: { apiUrl: github.apiUrl, token: SECRET },
  });
  expect(edit.status, edit.text).toBe(200);
  const viewer = await api(server, 'POST', '/api/v1/tokens', { name: 'dash-viewer', scopes: ['viewer'] });
  viewerToken = viewer.json.token;
  browser = await launchChromium('audit');
  context = browser.context;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await github?.stop();
});

describe('the Audit page', () => {
  it('is served at its address (and so is /reports): a reload or a shared link opens the dashboard', async () => {
    for (const path of ['/audit', '/audit?action=token.*', '/reports']) {
      const res = await fetch(server.url + path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toContain('text/html');
    }
  });

  it('lists what admins did, newest first, with the sign-in itself; filters by action and actor', async () => {
    const page = await context.newPage();
    await signIn(page, server.adminToken);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('heading', { level: 1, name: 'Audit' }).waitFor();
    const table = page.getByRole('table', { name: 'Audit events, newest first' });
    await table.waitFor();
    const actions = await table.locator('tbody th code').allInnerTexts();
    expect(actions[0]).toBe('session.sign-in');
    expect(actions).toEqual(
      expect.arrayContaining([
        'integration.create',
        'integration.edit',
        'integration.secret-use',
        'token.create',
      ]),
    );
    expect(await table.locator('tbody tr').first().innerText()).toContain('initial admin');

    await page.getByLabel('Action').fill('integration.*');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/\/audit\?action=integration\.\*/);
    await expect
      .poll(async () => new Set(await table.locator('tbody th code').allInnerTexts()))
      .toEqual(new Set(['integration.create', 'integration.edit', 'integration.secret-use']));

    // The detail says where the secret was used, never the secret.
    expect(await page.locator('main').innerText()).toContain(github.apiUrl);
    expect(await page.content()).not.toContain(SECRET);

    await page.getByLabel('Action').fill('');
    await page.getByLabel('Actor (token name or id)').fill('nobody');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('No audit event matches.').waitFor();

    await page.goto(server.url + '/audit?since=yesterday');
    expect(await page.getByRole('alert').innerText()).toContain('ISO 8601');
    await page.close();
  });

  it('pages through the trail: "Older →" shows the next events, "← Newer" comes back', async () => {
    // 55 more token.create events: with the viewer's, 56, over two pages of 50.
    for (let i = 0; i < 55; i++) {
      const t = await api(server, 'POST', '/api/v1/tokens', { name: `pager-${i}`, scopes: ['report'] });
      expect(t.status, t.text).toBe(201);
    }
    const page = await context.newPage();
    await signIn(page, server.adminToken);
    await page.goto(server.url + '/audit?action=token.create');
    // The page's chunk and then its events load after the document: wait for the table, then count.
    const table = page.getByRole('table', { name: 'Audit events, newest first' });
    await table.waitFor();
    const rows = table.locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(50);
    expect(await rows.first().innerText()).toContain('pager-54');
    const newer = page.getByRole('button', { name: '← Newer' });
    expect(await newer.isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Older →' }).click();
    await expect.poll(() => rows.count()).toBe(6);
    expect(await rows.last().innerText()).toContain('dash-viewer');
    expect(await page.getByRole('button', { name: 'Older →' }).isDisabled()).toBe(true);
    await newer.click();
    await expect.poll(() => rows.count()).toBe(50);
    expect(await rows.first().innerText()).toContain('pager-54');
    await page.close();
  });

  it('a viewer signs in (and that is recorded), but may not read the trail', async () => {
    const page = await context.newPage();
    await signIn(page, viewerToken);
    await page.goto(server.url + '/audit');
    expect(await page.getByRole('alert').innerText()).toMatch(/"admin"/);
    await page.close();
    const trail = await api(server, 'GET', '/api/v1/audit?actor=dash-viewer');
    expect(trail.json.items.map((e: { action: string }) => e.action)).toEqual(['session.sign-in']);
    expect(trail.text).not.toContain(SECRET);
  });
});
