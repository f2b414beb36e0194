import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addEcrKeyIntegration, startImagetrail, type ServerHandle } from '../helpers/imagetrail.js';

// Dashboard routing in Debian's Chromium (playwright-core), against a real `imagetrail serve`: an
// integration may be named "new" (a valid DNS label), so it must open like any other, and the
// "add an integration" page must still be reachable.

let server: ServerHandle;
let browserDir: string;
let context: BrowserContext;

beforeAll(async () => {
  server = await startImagetrail();
  const add = await addEcrKeyIntegration(
    server,
    'new',
    { accessKeyId: 'AKIAROUTENEW00000000', secretAccessKey: 'route-new-secret-key-000000000000000000' },
    ['--skip-test'],
  );
  expect(add.code, add.stderr).toBe(0);
  browserDir = await mkdtemp(join(tmpdir(), 'imagetrail-chromium-routes-'));
  context = await chromium.launchPersistentContext(browserDir, {
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
    ],
  });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await server?.stop();
  if (browserDir) await rm(browserDir, { recursive: true, force: true });
});

describe('dashboard routes', () => {
  it('an integration named "new" opens from the list, and "Add ECR integration" still opens the form', async () => {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(server.url + '/');
    await page.getByLabel('API token').fill(server.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Integrations' }).waitFor();

    await page.getByRole('link', { name: 'new', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Edit integration “new”' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/integrations/new');

    // A bookmark or a pasted address works the same.
    await page.goto(server.url + '/integrations/new');
    await page.getByRole('heading', { level: 1, name: 'Edit integration “new”' }).waitFor();

    await page.goto(server.url + '/integrations');
    await page.getByRole('link', { name: 'Add ECR integration' }).click();
    await page.getByRole('heading', { level: 1, name: 'Add an Amazon ECR integration' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/integrations/_new');
  });

  it('opens every page from a pasted address, each fetching its own chunk only then', async () => {
    const page = context.pages()[0] ?? (await context.newPage()); // signed in by the test above (this tab)
    const scripts: string[] = [];
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith('/assets/') && path.endsWith('.js')) scripts.push(path);
    });
    const pages: [string, string, RegExp][] = [
      ['/runtimes', 'Runtimes', /\/runtimes-[\w-]+\.js$/],
      ['/images', 'Images', /\/images-[\w-]+\.js$/],
      ['/applications', 'Applications', /\/applications-[\w-]+\.js$/],
      ['/reports', 'Reports', /\/reports-[\w-]+\.js$/],
      ['/audit', 'Audit', /\/audit-[\w-]+\.js$/],
    ];
    for (const [path, title, chunk] of pages) {
      scripts.length = 0;
      await page.goto(server.url + path); // a fresh document: the shell, then the page's chunk
      await page.getByRole('heading', { level: 1, name: title }).waitFor();
      expect(
        scripts.filter((s) => chunk.test(s)),
        path,
      ).toHaveLength(1);
      // No other page came along (the audit page's chunk is not fetched for the runtimes, and so on).
      const others = pages.filter(([p]) => p !== path).map(([, , re]) => re);
      expect(
        scripts.filter((s) => others.some((re) => re.test(s))),
        path,
      ).toEqual([]);
    }
  });

  it('a page whose chunk failed to load imports it afresh on Retry, without reloading the dashboard', async () => {
    const page = context.pages()[0] ?? (await context.newPage()); // signed in by the first test (this tab)
    await page.goto(server.url + '/integrations');
    await page.getByRole('heading', { level: 1, name: 'Integrations' }).waitFor();
    // The network fails the Audit page's chunk once (a dropped connection, a server mid-upgrade).
    const chunk = /\/assets\/audit-[\w-]+\.js$/;
    const fetched: string[] = [];
    let fail = true;
    await page.route(chunk, async (route) => {
      fetched.push(fail ? 'failed' : 'served');
      await (fail ? route.abort('connectionreset') : route.continue());
    });
    let documents = 0;
    page.on(
      'framenavigated',
      (f) => void (f === page.mainFrame() && f.url().endsWith('/audit') && documents++),
    );
    try {
      await page.getByRole('link', { name: 'Audit' }).click();
      await page.getByRole('alert').getByText('This page could not be shown').waitFor();
      fail = false;
      await page.getByRole('button', { name: 'Retry' }).click();
      await page.getByRole('heading', { level: 1, name: 'Audit' }).waitFor();
      expect(fetched).toEqual(['failed', 'served']);
      // Client-side navigation counts once (pushState); a reload would count again.
      expect(documents).toBe(1);
    } finally {
      await page.unroute(chunk);
    }
  });
});
