import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, mutationControls, signInWithToken, type Browser } from '../helpers/chromium.js';
import {
  addUnreachableEcrIntegration,
  cli,
  startImagetrail,
  type ServerHandle,
} from '../helpers/imagetrail.js';

// The dashboard in read-only mode, in Debian's Chromium (playwright-core) against a real `imagetrail serve`:
// a viewer token reads every list but finds no control that would change anything, and the add and edit
// addresses say the token is read-only instead of offering a form; an admin still gets the controls.

let server: ServerHandle;
let browser: Browser;
let context: BrowserContext;
let viewerToken: string;

function signIn(p: Page, token: string): Promise<void> {
  return signInWithToken(p, server.url, token);
}

beforeAll(async () => {
  server = await startImagetrail();
  await addUnreachableEcrIntegration(server, 'prod-ecr');
  const created = await cli(server, ['token', 'create', 'dash-viewer', '--scope', 'viewer', '--json']);
  expect(created.code, created.stderr).toBe(0);
  viewerToken = (JSON.parse(created.stdout) as { token: string }).token;
  browser = await launchChromium('viewer');
  context = browser.context;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('the dashboard for a viewer token', () => {
  it('the session answer names the scopes the dashboard keeps', async () => {
    const res = await fetch(server.url + '/api/v1/session', {
      method: 'POST',
      headers: { authorization: `Bearer ${viewerToken}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: 'dash-viewer', scopes: ['viewer'] });
  });

  it('reads every list, shows a read-only badge, and offers no control that changes anything', async () => {
    const page = await context.newPage();
    await signIn(page, viewerToken);
    await expect.poll(() => page.getByText('read-only (viewer)').count()).toBe(1);
    const table = page.getByRole('table', { name: 'Integrations, with availability on each runtime' });
    await table.waitFor();
    expect(await table.innerText()).toContain('prod-ecr');
    // The name is text, not a link into an edit form.
    expect(await table.getByRole('link', { name: 'prod-ecr' }).count()).toBe(0);
    expect(await mutationControls(page)).toEqual([]);

    const nav = page.getByRole('navigation', { name: 'Main' });
    // The audit trail is an admin's to read: no link to it.
    expect(await nav.getByRole('link', { name: 'Audit' }).count()).toBe(0);
    for (const title of ['Runtimes', 'Images', 'Reports']) {
      await nav.getByRole('link', { name: title }).click();
      await page.getByRole('heading', { level: 1, name: title }).waitFor();
      await page.locator('main .loading').waitFor({ state: 'detached' });
      expect(await page.getByRole('alert').count(), title).toBe(0);
      expect(await mutationControls(page), title).toEqual([]);
    }
    await page.close();
  });

  it('the add and edit addresses say the token is read-only instead of showing a form', async () => {
    const page = await context.newPage();
    await signIn(page, viewerToken);
    for (const path of ['/integrations/_new', '/integrations/prod-ecr']) {
      await page.goto(server.url + path);
      await page.getByRole('heading', { level: 1, name: 'Read-only access' }).waitFor();
      expect(await page.getByRole('status').last().innerText(), path).toContain('Your token is read-only');
      expect(await page.locator('main form').count(), path).toBe(0);
      expect(await mutationControls(page), path).toEqual([]);
    }
    await page.close();
  });
});

describe('the dashboard for an admin token', () => {
  it('still offers the add button, the edit link and the form, with no read-only badge', async () => {
    const page = await context.newPage();
    await signIn(page, server.adminToken);
    await page.getByRole('table', { name: 'Integrations, with availability on each runtime' }).waitFor();
    expect(await page.getByText('read-only (viewer)').count()).toBe(0);
    // The same check that finds nothing for a viewer finds the admin's controls.
    expect(await mutationControls(page)).toContain('Add ECR integration');
    expect(
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).count(),
    ).toBe(1);
    await page.getByRole('link', { name: 'prod-ecr' }).click();
    await page.getByRole('heading', { level: 1, name: 'Edit integration “prod-ecr”' }).waitFor();
    await page.goto(server.url + '/integrations');
    await page.getByRole('link', { name: 'Add ECR integration' }).click();
    await page.getByRole('heading', { level: 1, name: 'Add an Amazon ECR integration' }).waitFor();
    // The title shows while the runtimes load; the form follows them.
    await page.locator('main form').waitFor();
    expect(await page.locator('main form').count()).toBe(1);
    await page.close();
  });
});
