import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedImages } from '../../bench/seed-images.js';
import { openDatabase } from '../../src/store/database.js';
import { launchChromium, type Browser } from '../helpers/chromium.js';
import {
  addUnreachableEcrIntegration,
  api,
  startImagetrail,
  type ServerHandle,
} from '../helpers/imagetrail.js';
import { freePort } from '../peers/free-port.js';
import { startOidcProvider, type OidcPeer } from '../peers/oidc-provider.js';

// Single sign-on in Debian's Chromium against a real OpenID provider (oidc-provider, its login and consent
// pages) and a real `imagetrail serve`: a viewer-group user sees images and can change nothing (no control,
// and the API answers 403 even with the session's CSRF token); an admin-group user deletes an integration
// through the dashboard; a user in neither group gets a page that says why. test/e2e/sso.test.ts covers
// the protocol's refusals at the HTTP level.

const USERS = [
  { login: 'vera', password: 'vera-pw-1', name: 'Vera Viewer', groups: ['imagetrail-viewers'] },
  {
    login: 'ada',
    password: 'ada-pw-1',
    name: 'Ada Admin',
    groups: ['imagetrail-admins', 'imagetrail-viewers'],
  },
  { login: 'nils', password: 'nils-pw-1', name: 'Nils Nogroup', groups: [] },
];

/** Buttons and links whose names say they change something (as in dashboard-viewer.test.ts). */
const MUTATION = /\b(add|edit|delete|remove|test|save|sync|tokens?|create|new)\b/i;

let provider: OidcPeer;
let server: ServerHandle;
let browser: Browser;
let context: BrowserContext;
let secretDir: string;

beforeAll(async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // Groups in the ID token this time (sso.test.ts has them from userinfo).
  provider = await startOidcProvider({
    redirectUri: `${url}/auth/oidc/callback`,
    users: USERS,
    groupsInIdToken: true,
  });
  secretDir = await mkdtemp(join(tmpdir(), 'imagetrail-oidc-secret-'));
  await writeFile(join(secretDir, 'client-secret'), provider.clientSecret, { mode: 0o600 });
  server = await startImagetrail({
    args: ['--port', String(port), '--public-url', url, '--oidc-scopes', 'openid profile groups'],
    env: {
      IMAGETRAIL_OIDC_ISSUER: provider.issuer,
      IMAGETRAIL_OIDC_CLIENT_ID: provider.clientId,
      // The environment variable, this time, instead of the file.
      IMAGETRAIL_OIDC_CLIENT_SECRET: provider.clientSecret,
      IMAGETRAIL_OIDC_ADMIN_GROUP: 'imagetrail-admins',
      IMAGETRAIL_OIDC_VIEWER_GROUP: 'imagetrail-viewers',
    },
  });
  const store = openDatabase(`sqlite:${join(server.dataDir, 'imagetrail.db')}`);
  await seedImages(store.db, 2);
  await store.close();
  await addUnreachableEcrIntegration(server, 'prod-ecr');
  browser = await launchChromium('sso');
  context = browser.context;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await provider?.stop();
  if (secretDir) await rm(secretDir, { recursive: true, force: true });
});

/** From the dashboard's sign-in page, through the provider's login and consent pages, and back. */
async function signInWithSso(page: Page, login: string): Promise<void> {
  await context.clearCookies();
  await page.goto(server.url + '/');
  await page.getByRole('link', { name: 'Sign in with SSO' }).click();
  await page.getByRole('heading', { level: 1, name: 'Sign in to the test provider' }).waitFor();
  await page.getByLabel('Username').fill(login);
  await page.getByLabel('Password').fill(USERS.find((u) => u.login === login)!.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Allow access' }).waitFor();
  await page.getByRole('button', { name: 'Allow' }).click();
}

async function mutationControls(p: Page): Promise<string[]> {
  const names = await p
    .locator('main')
    .locator('button, a, input[type=submit]')
    .evaluateAll((els) => els.map((e) => (e.textContent ?? '').trim()));
  return names.filter((n) => MUTATION.test(n));
}

describe('single sign-on in the dashboard', () => {
  it('a viewer-group user sees images, no control that changes anything, and the API refuses a change', async () => {
    const page = await context.newPage();
    await signInWithSso(page, 'vera');
    await page.getByRole('heading', { level: 1, name: 'Integrations' }).waitFor();
    await expect.poll(() => page.getByText('read-only (viewer)').count()).toBe(1);
    expect(await mutationControls(page)).toEqual([]);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Images' }).click();
    await page.getByRole('heading', { level: 1, name: 'Images' }).waitFor();
    await page.locator('main .loading').waitFor({ state: 'detached' });
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(await page.locator('main table tbody tr').count()).toBe(2);
    expect(await mutationControls(page)).toEqual([]);

    // The session cookie is HttpOnly: the page's script sees only the CSRF cookie.
    const cookies = await page.evaluate(() => document.cookie);
    expect(cookies).toMatch(/imagetrail_csrf=/);
    expect(cookies).not.toMatch(/imagetrail_session=/);
    // Even a hand-made request with the CSRF token is refused: the server decides, not the dashboard.
    const status = await page.evaluate(async () => {
      const csrf = /imagetrail_csrf=([^;]+)/.exec(document.cookie)?.[1] ?? '';
      const res = await fetch('/api/v1/integrations/prod-ecr', {
        method: 'DELETE',
        headers: { 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' },
        body: JSON.stringify({ confirm: 'DELETE' }),
      });
      return res.status;
    });
    expect(status).toBe(403);
    await page.close();
  });

  it('an admin-group user deletes an integration through the dashboard, on the audit trail by name', async () => {
    const page = await context.newPage();
    await signInWithSso(page, 'ada');
    await page.getByRole('heading', { level: 1, name: 'Integrations' }).waitFor();
    expect(await page.getByText('read-only (viewer)').count()).toBe(0);
    await page.getByRole('link', { name: 'prod-ecr' }).click();
    await page.getByRole('button', { name: 'Delete…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(/Type DELETE to confirm/).fill('DELETE');
    await dialog.getByRole('button', { name: 'Delete integration' }).click();
    await page.getByText(/Deleted “prod-ecr”/).waitFor();
    expect((await api(server, 'GET', '/api/v1/integrations/prod-ecr')).status).toBe(404);

    const audit = await api(server, 'GET', '/api/v1/audit?action=integration.delete');
    expect(audit.json.items[0]).toMatchObject({
      actor: { id: 'sso:ada', name: 'Ada Admin' },
      target: 'prod-ecr',
    });
    // The Audit page (an admin's) shows the sign-in by the person's name.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('heading', { level: 1, name: 'Audit' }).waitFor();
    await expect.poll(() => page.locator('main').innerText()).toContain('Ada Admin');
    await page.close();
  });

  it('signing out ends the session: a reload shows the sign-in page again', async () => {
    const page = await context.newPage();
    await signInWithSso(page, 'ada');
    await page.getByRole('heading', { level: 1, name: 'Integrations' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('link', { name: 'Sign in with SSO' }).waitFor();
    await expect.poll(() => page.evaluate(() => document.cookie)).not.toMatch(/imagetrail_csrf=/);
    await page.reload();
    await page.getByRole('link', { name: 'Sign in with SSO' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
    await page.close();
  });

  it('a user in neither group is refused with a page that names the groups', async () => {
    const page = await context.newPage();
    await signInWithSso(page, 'nils');
    await page.getByRole('heading', { level: 1, name: 'Access refused' }).waitFor();
    expect(await page.getByRole('alert').innerText()).toBe(
      'You signed in as Nils Nogroup, but imagetrail lets in only members of the groups "imagetrail-admins" or "imagetrail-viewers".',
    );
    await page.getByRole('link', { name: 'Back to the dashboard sign-in' }).click();
    await page.getByRole('link', { name: 'Sign in with SSO' }).waitFor();
    await page.close();
  });
});
