import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../peers/fake-github.js';
import { startFakeJira, type FakeJira } from '../peers/fake-jira.js';
import { api, startImagetrail, type ServerHandle } from '../helpers/imagetrail.js';
import {
  launchChromium,
  mutationControls,
  signInWithToken as signIn,
  type Browser,
} from '../helpers/chromium.js';

// GitHub and Jira integrations in the dashboard, like ECR (issue 14 point 5): added, tested, edited with the
// stored secret kept unless replaced, and deleted, in Debian's Chromium (playwright-core) against a real
// `imagetrail serve` and the fake GitHub and Jira peers; a viewer reads them and can change nothing.

const GH_TOKEN = 'ghp_dashboardTypesDistinctiveToken0001';
const GH_WRONG = 'ghp_dashboardTypesWrongToken000000002';
const JIRA_EMAIL = 'bot@example.com';
const JIRA_TOKEN = 'jira-dashboard-types-distinctive-token-0001';

let github: FakeGitHub;
let jira: FakeJira;
let server: ServerHandle;
let browser: Browser;
let page: Page;
let viewerToken: string;

const runEnd = () => page.locator('.run-panel [data-end]');

async function endOf(button: 'Test connection' | 'Commit' | 'Commit changes'): Promise<string | null> {
  await page.getByRole('button', { name: button, exact: true }).click();
  await runEnd().waitFor({ timeout: 60_000 });
  return runEnd().getAttribute('data-end');
}

/** The Authorization header of the last request the fake GitHub had for `GET /user`. */
function lastGitHubAuth(): string | undefined {
  return github.requests.filter((r) => r.url === '/user').at(-1)?.headers['authorization'] as
    string | undefined;
}

beforeAll(async () => {
  [github, jira] = await Promise.all([
    startFakeGitHub({ token: GH_TOKEN, login: 'octo-bot', scopes: ['repo'], repos: {} }),
    startFakeJira({ flavor: 'cloud', email: JIRA_EMAIL, apiToken: JIRA_TOKEN, issues: [] }),
  ]);
  server = await startImagetrail();
  const viewer = await api(server, 'POST', '/api/v1/tokens', { name: 'types-viewer', scopes: ['viewer'] });
  expect(viewer.status, viewer.text).toBe(201);
  viewerToken = viewer.json.token;
  browser = await launchChromium('types');
  page = await browser.context.newPage();
  await signIn(page, server.url, server.adminToken);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await Promise.all([github?.stop(), jira?.stop()]);
});

describe('a GitHub integration in the dashboard', () => {
  it('is added from its own button: tested (the login shows), then committed', async () => {
    await page.getByRole('link', { name: 'Add GitHub integration' }).click();
    await page.getByRole('heading', { level: 1, name: 'Add a GitHub integration' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('gh');
    await page.getByLabel('API URL (optional)').fill(github.apiUrl);
    // The token is required before anything is sent.
    await page.getByRole('button', { name: 'Test connection' }).click();
    expect(await page.locator('#token-error').innerText()).toMatch(/token is required/);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('token');
    await page.getByLabel('Token').fill(GH_TOKEN);

    expect(await endOf('Test connection')).toBe('ok');
    expect(await runEnd().innerText()).toContain('octo-bot');
    expect(await page.locator('[data-check="github:GET /user"]').getAttribute('data-state')).toBe('ok');
    expect(lastGitHubAuth()).toBe(`Bearer ${GH_TOKEN}`);

    expect(await endOf('Commit')).toBe('committed');
    expect(await page.locator('.commit-sha').innerText()).toMatch(/^[0-9a-f]{40}$/);
    const stored = await api(server, 'GET', '/api/v1/integrations/gh');
    expect(stored.json).toMatchObject({
      type: 'git.github',
      github: { apiUrl: github.apiUrl, token: { set: true } },
    });
  });

  it('is listed with its host and mode', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Integrations' }).click();
    const row = page.locator('tr[data-integration="gh"]');
    await row.waitFor();
    const text = await row.innerText();
    expect(text).toContain(`GitHub (${new URL(github.apiUrl).host})`);
    expect(text).toContain('Token');
    expect(text).toContain('All runtimes');
  });

  it('is edited with the stored token kept (shown as set), which the commit’s test uses', async () => {
    await page.getByRole('link', { name: 'gh', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Edit integration “gh”' }).waitFor();
    expect(await page.getByLabel('Token (set)').inputValue()).toBe('');
    expect(await page.getByLabel('API URL (optional)').inputValue()).toBe(github.apiUrl);
    await page.getByLabel('Description (optional)').fill('pull requests for the web team');
    const before = github.requests.length;
    expect(await endOf('Commit changes')).toBe('committed');
    expect(github.requests.length).toBeGreaterThan(before);
    expect(lastGitHubAuth()).toBe(`Bearer ${GH_TOKEN}`);
    const stored = await api(server, 'GET', '/api/v1/integrations/gh');
    expect(stored.json).toMatchObject({
      description: 'pull requests for the web team',
      github: { token: { set: true } },
    });
  });

  it('a typed token replaces the stored one (a wrong one fails the test); a new API URL needs it typed', async () => {
    await page.getByLabel('Token (set)').fill(GH_WRONG);
    expect(await endOf('Test connection')).toBe('failed');
    expect(lastGitHubAuth()).toBe(`Bearer ${GH_WRONG}`);
    await page.getByLabel('Token (set)').fill('');

    // The token is sealed for the URL it goes to: another URL needs it again, said before anything is sent.
    await page.getByLabel('API URL (optional)').fill('https://ghe.example.com/api/v3');
    await page.getByRole('button', { name: 'Commit changes' }).click();
    expect(await page.locator('#token-error').innerText()).toMatch(/token is required/);
    expect(await page.getByLabel('Token', { exact: true }).count()).toBe(1);
    expect(await page.content()).not.toContain(GH_TOKEN);
  });
});

describe('a Jira integration in the dashboard', () => {
  it('is added (Jira Cloud: email and API token), tested and committed', async () => {
    await page.goto(server.url + '/integrations');
    await page.getByRole('link', { name: 'Add Jira integration' }).click();
    await page.getByRole('heading', { level: 1, name: 'Add a Jira integration' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('jira');
    await page.getByLabel('Base URL').fill(jira.baseUrl);
    expect(await page.getByLabel('Jira Cloud').isChecked()).toBe(true);
    await page.getByLabel('Account email').fill('not-an-email');
    await page.getByLabel('API token').fill(JIRA_TOKEN);
    await page.getByRole('button', { name: 'Test connection' }).click();
    expect(await page.locator('#email-error').innerText()).toMatch(/email/);
    await page.getByLabel('Account email').fill(JIRA_EMAIL);
    expect(await page.locator('#email-error').count()).toBe(0);

    expect(await endOf('Test connection')).toBe('ok');
    expect(await runEnd().innerText()).toContain('Imagetrail Bot');
    expect(await endOf('Commit')).toBe('committed');
    const stored = await api(server, 'GET', '/api/v1/integrations/jira');
    expect(stored.json).toMatchObject({
      type: 'issue.jira',
      jira: { baseUrl: jira.baseUrl, auth: { kind: 'cloud', email: JIRA_EMAIL, apiToken: { set: true } } },
    });
  });

  it('is listed, and edited with the API token kept while a setting under Advanced changes', async () => {
    await page.goto(server.url + '/integrations');
    const row = page.locator('tr[data-integration="jira"]');
    await row.waitFor();
    expect(await row.innerText()).toContain(`Jira Cloud (${jira.baseUrl})`);
    expect(await row.innerText()).toContain('Email + API token');

    await page.getByRole('link', { name: 'jira', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Edit integration “jira”' }).waitFor();
    expect(await page.getByLabel('API token (set)').inputValue()).toBe('');
    expect(await page.getByLabel('Account email').inputValue()).toBe(JIRA_EMAIL);
    await page.getByText('Advanced', { exact: true }).click();
    await page.getByLabel('Project keys (optional)').fill('PAY,WEB');
    expect(await endOf('Commit changes')).toBe('committed');
    const stored = await api(server, 'GET', '/api/v1/integrations/jira');
    expect(stored.json.jira).toMatchObject({ projectPrefixes: 'PAY,WEB', auth: { apiToken: { set: true } } });
    expect(await page.content()).not.toContain(JIRA_TOKEN);
  });

  it('switching to Server/Data Center asks for a personal access token', async () => {
    await page.getByLabel('Server / Data Center').check();
    await page.getByRole('button', { name: 'Commit changes' }).click();
    expect(await page.locator('#pat-error').innerText()).toMatch(/personal access token is required/);
    await page.getByLabel('Jira Cloud').check();
    expect(await page.getByLabel('API token (set)').count()).toBe(1);
  });
});

describe('a viewer', () => {
  it('reads both in the list, with no control that changes anything; their addresses are read-only', async () => {
    const p = await browser.context.newPage();
    await signIn(p, server.url, viewerToken);
    const table = p.getByRole('table', { name: 'Integrations, with availability on each runtime' });
    await table.locator('tr[data-integration="jira"]').waitFor();
    expect(await table.locator('tr[data-integration="gh"]').innerText()).toContain('GitHub');
    expect(await table.getByRole('link').count()).toBe(0);
    expect(await mutationControls(p)).toEqual([]);
    for (const path of ['/integrations/gh', '/integrations/jira', '/integrations/_new?type=issue.jira']) {
      await p.goto(server.url + path);
      await p.getByRole('heading', { level: 1, name: 'Read-only access' }).waitFor();
      expect(await p.locator('main form').count(), path).toBe(0);
    }
    await p.close();
  });
});

describe('deleting', () => {
  it('removes each through the DELETE dialog', async () => {
    for (const name of ['gh', 'jira']) {
      await page.goto(server.url + `/integrations/${name}`);
      await page.getByRole('button', { name: 'Delete…' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel(/Type DELETE to confirm/).fill('DELETE');
      await dialog.getByRole('button', { name: 'Delete integration' }).click();
      await page.getByText(new RegExp(`Deleted “${name}” in commit [0-9a-f]{7}`)).waitFor();
      expect(await page.locator(`tr[data-integration="${name}"]`).count()).toBe(0);
      expect((await api(server, 'GET', `/api/v1/integrations/${name}`)).status).toBe(404);
    }
  });
});
