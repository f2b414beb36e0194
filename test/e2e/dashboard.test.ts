import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { addEcrKeyIntegration, api, cli, reportImageArgs } from '../helpers/imagetrail.js';
import { git } from '../helpers/git.js';
import { HOST, REGION } from '../helpers/ecr-seed.js';
import { signInWithToken } from '../helpers/chromium.js';
import {
  context,
  moto,
  page,
  registry,
  remote,
  s,
  server,
  SHOTS,
  useDashboard,
} from './dashboard-fixture.js';

// The dashboard's integrations (add, test, list, edit, delete), images and reports, and a narrow window;
// takes the README's screenshots. Setup: dashboard-fixture.ts; sign-in: dashboard-sign-in.test.ts.

const DOCKERFILE =
  'FROM node:24-alpine\nCOPY . /app\nRUN echo "<script>alert(1)</script>"\nCMD ["node", "/app"]\n';
const GIT_SHA = '0123456789abcdef0123456789abcdef01234567';

async function remoteHead(): Promise<string> {
  return (await git(remote.path, 'rev-parse', 'main')).trim();
}

async function remoteFiles(): Promise<string[]> {
  return (await git(remote.path, 'ls-tree', '-r', '--name-only', 'main')).trim().split('\n');
}

/** The page body must not scroll sideways: wide tables scroll inside their own boxes. */
async function horizontalOverflow(p: Page): Promise<number> {
  return p.evaluate(
    () =>
      Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) -
      document.documentElement.clientWidth,
  );
}

async function fillEndpoints(p: Page): Promise<void> {
  await p.getByText('Advanced', { exact: true }).click();
  await p.getByLabel('ECR API endpoint').fill(moto.endpoint);
  await p.getByLabel('STS endpoint').fill(moto.endpoint);
  await p.getByLabel('Registry (/v2/) endpoint').fill(registry.url);
}

useDashboard();

// The shared page starts signed in as admin, on the Integrations page (dashboard-sign-in.test.ts tests
// signing in itself).
beforeAll(() => signInWithToken(page, server.url, server.adminToken));

describe('integrations', () => {
  it('checks the spec rules before sending: IAM role on a hosted runtime, access key on an old one', async () => {
    await page.getByRole('link', { name: 'Add ECR integration' }).click();
    await page.getByLabel('Name').fill('web-ecr');
    await page.getByLabel('AWS region').fill(REGION);
    await page.getByLabel('IAM role').check();
    await page.getByLabel('Role ARN').fill(s.roles.enrichOpen.arn);
    await page.getByLabel('Selected runtimes').check();
    await page.getByLabel(/^cloud/).check();
    let requests = 0;
    const count = () => requests++;
    page.on('request', count);
    await page.getByRole('button', { name: 'Commit' }).click();
    await page.locator('#runtimes-error').waitFor();
    expect(await page.locator('#runtimes-error').innerText()).toMatch(/hosted/);
    await page.getByLabel('Access key', { exact: true }).check();
    await page.getByLabel(/^cloud/).uncheck();
    await page.getByLabel(/^old/).check();
    await page.getByLabel('Access key ID').fill(s.users.ro.accessKeyId);
    await page.getByLabel('Secret access key').fill(s.users.ro.secretAccessKey);
    await page.getByRole('button', { name: 'Commit' }).click();
    await page.locator('#runtimes-error').filter({ hasText: '0.1.27' }).waitFor();
    page.off('request', count);
    expect(requests).toBe(0);
  });

  it('tests an access-key integration, streaming each check to a visible end, and commits it', async () => {
    await page.getByLabel('All runtimes').check();
    await fillEndpoints(page);
    // Only the availability note for `old` remains, as information.
    expect(await page.getByRole('note').innerText()).toContain('old');

    await page.getByRole('button', { name: 'Test connection' }).click();
    const end = page.locator('.run-panel [data-end]');
    await end.waitFor({ timeout: 60_000 });
    expect(await end.getAttribute('data-end')).toBe('ok');
    expect(await end.innerText()).toContain(s.users.ro.arn);
    const states = await page
      .locator('.checks [data-check]')
      .evaluateAll((els) => els.map((e) => [e.getAttribute('data-check'), e.getAttribute('data-state')]));
    const byName = Object.fromEntries(states);
    expect(byName).toMatchObject({
      identity: 'ok',
      'ecr:GetAuthorizationToken': 'ok',
      'ecr:DescribeImages': 'ok',
      'ecr:BatchGetImage': 'ok',
      registry: 'ok',
    });
    expect(byName['region']).toBe('skipped'); // not checked with an API endpoint override
    expect(await page.locator('.spinner').count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, 'integration-form.png'), fullPage: true });

    const before = await remoteHead();
    await page.getByRole('button', { name: 'Commit', exact: true }).click();
    await page.locator('.run-panel [data-end="committed"]').waitFor({ timeout: 60_000 });
    const sha = await page.locator('.commit-sha').innerText();
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(sha).not.toBe(before);
    expect(sha).toBe(await remoteHead());
    expect(await remoteFiles()).toContain('resources/all-runtimes-all-clusters/web-ecr.yaml');
  });

  it('lists it with its mode, sharing, availability per runtime with the reason, and last commit', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Integrations' }).click();
    const row = page.locator('tr[data-integration="web-ecr"]');
    await row.waitFor();
    const text = await row.innerText();
    expect(text).toContain('Access key');
    expect(text).toContain('All runtimes');
    expect(text).toContain((await remoteHead()).slice(0, 7));
    expect(await row.locator('.avail-ok').allInnerTexts()).toEqual([
      expect.stringContaining('cloud'),
      expect.stringContaining('local'),
    ]);
    const old = row.locator('.avail-no');
    expect(await old.innerText()).toContain('old');
    expect(await old.innerText()).toContain('0.1.27');
  });

  it('shows the runtimes and which integrations each can use', async () => {
    await page.getByRole('link', { name: 'Runtimes' }).click();
    await page.getByRole('heading', { level: 1, name: 'Runtimes' }).waitFor();
    const local = await page.locator('tr[data-runtime="local"]').innerText();
    expect(local).toMatch(/hybrid/);
    expect(local).toMatch(/in-process/);
    expect(local).toContain('web-ecr');
    const old = await page.locator('tr[data-runtime="old"]').innerText();
    expect(old).toContain('0.1.26');
    expect(old).toContain('0.1.27');
    expect(await page.locator('tr[data-runtime="cloud"]').innerText()).toContain('hosted');
    await page.screenshot({ path: join(SHOTS, 'runtimes.png'), fullPage: true });
  });

  it('edits with the stored secret kept (shown as set)', async () => {
    await page.goto(server.url + '/integrations/web-ecr');
    await page.getByRole('heading', { level: 1, name: /Edit integration/ }).waitFor();
    expect(await page.getByLabel('Secret access key (set)').inputValue()).toBe('');
    await page.getByLabel('Description (optional)').fill('read-only user for the web team');
    await page.getByRole('button', { name: 'Commit changes' }).click();
    await page.locator('.run-panel [data-end="committed"]').waitFor({ timeout: 60_000 });
    expect(await page.locator('.commit-sha').innerText()).toBe(await remoteHead());
  });
});

describe('images', () => {
  let apiImageId: string;

  beforeAll(async () => {
    const add = await addEcrKeyIntegration(server, 'ecr', s.users.ro, [
      '--api-endpoint',
      moto.endpoint,
      '--sts-endpoint',
      moto.endpoint,
      '--registry-endpoint',
      registry.url,
    ]);
    expect(add.code, add.stderr).toBe(0);
    const report = (image: string, extra: string[], env: Record<string, string> = {}) =>
      cli(server, [...reportImageArgs(image), ...extra], { env });
    const web = await report(`${HOST}/team/web:v1`, [
      '--git-repo',
      'acme/web',
      '--git-branch',
      'main',
      '--git-sha',
      GIT_SHA,
    ]);
    expect(web.code, web.stderr).toBe(0);
    const apiImg = await report(
      `${HOST}/team/api:1.0.0`,
      [
        '--git-repo',
        'acme/api',
        '--git-branch',
        'feature/PAY-12-refunds',
        '--git-sha',
        GIT_SHA.split('').reverse().join(''),
        '--workflow-name',
        'api build',
        '--workflow-url',
        'https://ci.example.com/runs/42',
        '--logs-url',
        'https://ci.example.com/runs/42/logs',
      ],
      { CF_DOCKERFILE_CONTENT: Buffer.from(DOCKERFILE).toString('base64') },
    );
    expect(apiImg.code, apiImg.stderr).toBe(0);
    apiImageId = JSON.parse(apiImg.stdout).result.imageId;
  }, 180_000);

  it('lists reported images with tags, digest, registry, size, commit, platforms; filters and pages', async () => {
    await page.getByRole('link', { name: 'Images' }).click();
    await page.getByRole('heading', { level: 1, name: 'Images' }).waitFor();
    const rows = page.locator('tr[data-image]');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(2);
    const web = await page.locator('tr', { hasText: 'team/web' }).innerText();
    expect(web).toContain('v1');
    expect(web).toContain(HOST);
    expect(web).toContain('linux/amd64');
    expect(web).toContain('linux/arm64');
    expect(web).toContain(GIT_SHA.slice(0, 7));
    await page.screenshot({ path: join(SHOTS, 'images-list.png'), fullPage: true });

    await page.getByLabel('Repository').fill('team/web');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/repository=team%2Fweb/);
    await page.locator('tr[data-image]').first().waitFor();
    expect(await page.locator('tr[data-image]').count()).toBe(1);
    await page.getByRole('button', { name: 'Clear' }).click();

    // One image a page: Next and Previous follow the cursor.
    await page.goto(server.url + '/images?limit=1');
    await page.locator('tr[data-image]').first().waitFor();
    const first = await page.locator('tr[data-image]').getAttribute('data-image');
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.getByText('Page 2:').waitFor();
    const second = await page.locator('tr[data-image]').getAttribute('data-image');
    expect(second).not.toBe(first);
    await page.getByRole('button', { name: '← Previous' }).click();
    await page.getByText('Page 1:').waitFor();
    expect(await page.locator('tr[data-image]').getAttribute('data-image')).toBe(first);
  });

  it('shows an image: build and logs links, Git, platforms, layers, labels, referrers', async () => {
    await page.goto(server.url + '/images');
    await page.getByRole('link', { name: 'team/api' }).click();
    await page.getByRole('heading', { level: 1, name: /team\/api/ }).waitFor();
    expect(page.url()).toContain(apiImageId);
    const summary = await page
      .locator('section.card', { has: page.getByRole('heading', { name: 'Summary' }) })
      .innerText();
    expect(summary).toContain('feature/PAY-12-refunds');
    expect(summary).toContain('acme/api');
    expect(await page.getByRole('link', { name: 'api build' }).getAttribute('href')).toBe(
      'https://ci.example.com/runs/42',
    );
    expect(await page.getByRole('link', { name: 'logs' }).getAttribute('href')).toBe(
      'https://ci.example.com/runs/42/logs',
    );
    expect(await page.getByRole('region', { name: 'Platforms table' }).innerText()).toContain('linux/amd64');
    expect(
      await page.getByRole('region', { name: 'Layers table' }).locator('tbody tr').count(),
    ).toBeGreaterThan(0);
    expect(await page.getByText('payments').count()).toBeGreaterThan(0);
    expect(await page.getByRole('region', { name: 'Referrers table' }).innerText()).toContain('signature');
    // The reported Dockerfile (CF_DOCKERFILE_CONTENT), as text: its markup is shown, not run.
    const dockerfile = page.getByRole('region', { name: 'Dockerfile' });
    expect(await dockerfile.locator('pre').innerText()).toBe(DOCKERFILE);
    expect(await page.locator('pre.dockerfile script').count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, 'image-detail.png'), fullPage: true });
  });

  it('an index names the platform image its labels come from; no made-up build name (issue 9)', async () => {
    await page.goto(server.url + '/images');
    await page.getByRole('link', { name: 'team/web' }).click();
    await page.getByRole('heading', { level: 1, name: /team\/web/ }).waitFor();
    const labels = await page
      .locator('section.card', { has: page.getByRole('heading', { name: 'Labels and annotations' }) })
      .innerText();
    expect(labels).toMatch(/those of its linux\/amd64 image sha256:/);
    expect(labels).toContain('PATH');
    const summary = await page
      .locator('section.card', { has: page.getByRole('heading', { name: 'Summary' }) })
      .innerText();
    expect(summary).toContain('no workflow name reported');
    expect(summary).not.toMatch(/^workflow$/m);
  });

  it('Reports lists a report that failed after CI moved on, with its reason (issue 9)', async () => {
    const r = await cli(server, [
      'report-image',
      '--image',
      `${HOST}/team/web:missing`,
      '--registry-integration',
      'ecr',
      '--no-local-git',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const id = JSON.parse(r.stdout).id as string;
    await page.getByRole('link', { name: 'Reports' }).click();
    await page.getByRole('heading', { level: 1, name: 'Reports' }).waitFor();
    await page.getByLabel('Status').selectOption('failed');
    await page.waitForURL(/status=failed/);
    const row = page.locator(`tr[data-report="${id}"]`);
    for (let i = 0; i < 50 && (await row.count()) === 0; i++) {
      await new Promise((res) => setTimeout(res, 300));
      await page.reload();
    }
    const text = await row.innerText();
    expect(text).toContain('failed');
    expect(text).toContain(`${HOST}/team/web:missing`);
    expect(text).toMatch(/missing/);
    await page.screenshot({ path: join(SHOTS, 'reports.png'), fullPage: true });
  });
});

describe('narrow window (375 px)', () => {
  it('no page scrolls sideways; wide tables scroll in their own box', async () => {
    const p = await context.newPage();
    try {
      await p.setViewportSize({ width: 375, height: 800 });
      await signInWithToken(p, server.url, server.adminToken);
      const overflow: Record<string, number> = {};
      overflow['integrations'] = await horizontalOverflow(p);
      await p.screenshot({ path: join(SHOTS, 'narrow-integrations.png'), fullPage: true });
      for (const [name, path, heading] of [
        ['form', '/integrations/_new', 'Add an Amazon ECR integration'],
        ['edit', '/integrations/web-ecr', /Edit integration/],
        ['runtimes', '/runtimes', 'Runtimes'],
        ['images', '/images', 'Images'],
      ] as const) {
        await p.goto(server.url + path);
        await p.getByRole('heading', { level: 1, name: heading }).waitFor();
        await p.waitForLoadState('networkidle');
        overflow[name] = await horizontalOverflow(p);
      }
      await p.getByRole('link', { name: 'team/web' }).click();
      await p.getByRole('heading', { level: 1, name: /team\/web/ }).waitFor();
      overflow['image'] = await horizontalOverflow(p);
      expect(overflow).toEqual({ integrations: 0, form: 0, edit: 0, runtimes: 0, images: 0, image: 0 });
    } finally {
      await p.close();
    }
  });
});

describe('delete', () => {
  it('needs DELETE typed; Escape closes the dialog; the resource leaves the repository in one commit', async () => {
    await page.setViewportSize({ width: 1280, height: 860 });
    await page.goto(server.url + '/integrations');
    await page.locator('tr[data-integration="web-ecr"]').waitFor();
    await page.screenshot({ path: join(SHOTS, 'integrations-list.png'), fullPage: true });
    await page.getByRole('link', { name: 'web-ecr' }).click();
    await page.getByRole('button', { name: 'Delete…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    await page.getByRole('button', { name: 'Delete…' }).click();
    await dialog.waitFor();
    const confirm = dialog.getByRole('button', { name: 'Delete integration' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(/Type DELETE to confirm/).fill('delete');
    expect(await confirm.isDisabled()).toBe(true);
    const before = await remoteHead();
    await dialog.getByLabel(/Type DELETE to confirm/).fill('DELETE');
    await confirm.click();
    await page.getByRole('heading', { level: 1, name: 'Integrations' }).waitFor();
    await page.getByText(/Deleted “web-ecr” in commit [0-9a-f]{7}/).waitFor();
    expect(await page.locator('tr[data-integration="web-ecr"]').count()).toBe(0);
    expect(await remoteHead()).not.toBe(before);
    expect(await remoteFiles()).not.toContain('resources/all-runtimes-all-clusters/web-ecr.yaml');
    const gone = await api(server, 'GET', '/api/v1/integrations/web-ecr');
    expect(gone.status).toBe(404);
  });
});
