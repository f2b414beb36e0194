import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMoto, type MotoPeer } from '../peers/moto.js';
import { startRegistry, type RegistryPeer } from '../peers/registry.js';
import { EcrSeeder, HOST } from '../helpers/ecr-seed.js';
import { launchChromium, signInWithToken, type Browser } from '../helpers/chromium.js';
import {
  addEcrKeyIntegration,
  api,
  cli,
  ROOT,
  startImagetrail,
  type ServerHandle,
} from '../helpers/imagetrail.js';

// Issue 13, the dashboard: in Debian's Chromium against a real `imagetrail serve`, images reported by CI
// (enriched from moto + distribution) and deployments observed by the `local` runtime (an observation batch
// posted as an observer would) show as "Running now" with history on the image, a "Deployed in" count and
// a "deployed only" filter on the list, and an Applications page with the digests each application runs.

const IDLE_SHA = 'c0ffee'.padEnd(40, '1');
// Relative to now, so the dashboard's "last N days" periods hold them: the shop commit 3 days ago, first
// running 45 minutes later; its lead time for changes is those 45 minutes.
const HOUR = 3_600_000;
const at = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString();
const COMMIT = at(Date.now() - 72 * HOUR);
const LEAD_SECONDS = 45 * 60;
const T0 = at(Date.parse(COMMIT) + LEAD_SECONDS * 1000);
const T1 = at(Date.parse(T0) + HOUR);
const T2 = at(Date.parse(T0) + 2 * HOUR);

let moto: MotoPeer;
let registry: RegistryPeer;
let server: ServerHandle;
let browser: Browser;
let shopId: string;
let shopDigest: string;
let foundDigest: string;
let checkout: string;
let SHA: string;

/** The CI checkout the shop image is built from: one commit whose committer time is COMMIT. */
async function commitAt(time: string): Promise<{ dir: string; sha: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'imagetrail-shop-'));
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'dev',
    GIT_AUTHOR_EMAIL: 'dev@localhost',
    GIT_COMMITTER_NAME: 'dev',
    GIT_COMMITTER_EMAIL: 'dev@localhost',
    GIT_AUTHOR_DATE: time,
    GIT_COMMITTER_DATE: time,
  };
  const run = async (...args: string[]) => (await promisify(execFile)('git', args, { cwd: dir, env })).stdout;
  await run('init', '-q', '-b', 'main');
  await run('remote', 'add', 'origin', 'https://github.com/acme/shop.git');
  await writeFile(join(dir, 'README'), 'shop\n');
  await run('add', '-A');
  await run('commit', '-q', '-m', 'Checkout: one-click buy');
  return { dir, sha: (await run('rev-parse', 'HEAD')).trim() };
}

function group(namespace: string, application: string) {
  return {
    namespace,
    workloadKind: 'Deployment',
    workloadName: 'shop',
    application,
    registry: HOST,
    repository: 'team/shop',
    digest: shopDigest,
  };
}

async function observe(sequence: number, body: Record<string, unknown>): Promise<void> {
  const res = await api(server, 'POST', '/api/v1/runtimes/local/observations', {
    observerId: 'dash-test',
    sequence,
    kind: 'delta',
    upserts: [],
    ...body,
  });
  expect(res.status, res.text).toBe(200);
}

async function report(image: string, git: string[]): Promise<string> {
  const r = await cli(server, [
    'report-image',
    '--image',
    image,
    '--registry-integration',
    'ecr',
    ...git,
    '--git-repo',
    'acme/shop',
    '--git-branch',
    'main',
    '--workflow-name',
    'shop build',
    '--wait',
    '--wait-timeout',
    '60',
    '--json',
  ]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { result: { imageId: string } }).result.imageId;
}

beforeAll(async () => {
  [moto, registry] = await Promise.all([startMoto(), startRegistry()]);
  const seed = new EcrSeeder(moto, registry);
  shopDigest = (await seed.image('team/shop', '2.0', { format: 'oci' })).digest;
  await seed.image('team/idle', '1.0', { format: 'oci' });
  // Pushed, never reported: the cluster is where imagetrail first sees it.
  foundDigest = (await seed.image('team/found', '3.0', { format: 'oci' })).digest;
  server = await startImagetrail();
  const add = await addEcrKeyIntegration(
    server,
    'ecr',
    { accessKeyId: 'AKIADASHDEPLOY000000', secretAccessKey: 'dash-deploy-secret' },
    ['--api-endpoint', moto.endpoint, '--sts-endpoint', moto.endpoint, '--registry-endpoint', registry.url],
  );
  expect(add.code, add.stderr).toBe(0);
  ({ dir: checkout, sha: SHA } = await commitAt(COMMIT));
  shopId = await report(`${HOST}/team/shop:2.0`, ['--git-dir', checkout, '--git-sha', SHA]);
  await report(`${HOST}/team/idle:1.0`, ['--no-local-git', '--git-sha', IDLE_SHA]);
  // The shop image runs in the `shop` application (prod) and in a staging workload without one; the
  // staging one then goes away: one place now, one in the history.
  await observe(1, {
    observedAt: T1,
    upserts: [
      { ...group('prod', 'shop'), replicas: 3, firstStartedAt: T0 },
      { ...group('staging', ''), replicas: 1, firstStartedAt: T0 },
    ],
  });
  await observe(2, { observedAt: T2, removals: [{ ...group('staging', ''), endedAt: T1 }] });
  browser = await launchChromium('deployments');
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await Promise.all([moto?.stop(), registry?.stop()]);
  if (checkout) await rm(checkout, { recursive: true, force: true });
});

async function signedIn(): Promise<Page> {
  const page = await browser.context.newPage();
  await signInWithToken(page, server.url, server.adminToken);
  return page;
}

describe('deployments in the dashboard', () => {
  it('the image detail shows where it runs now, since when, and its history', async () => {
    const page = await signedIn();
    await page.goto(`${server.url}/images/${encodeURIComponent(shopId)}`);
    const running = page.getByRole('table', { name: 'Running now' });
    await running.waitFor();
    const rows = running.locator('tbody tr');
    expect(await rows.count()).toBe(1);
    const row = await rows.first().innerText();
    for (const text of ['shop', 'local', 'prod', 'Deployment/shop', '3']) expect(row).toContain(text);
    const history = page.getByRole('list', { name: 'Deployment history' });
    expect(await history.locator('li').count()).toBe(1);
    expect(await history.innerText()).toContain('staging');
    // Reported by CI, not discovered in a cluster.
    expect(await page.getByText('discovered in cluster').count()).toBe(0);
    // Lead time = first running (T0) − the commit time of the build's commit, 45 minutes.
    const lead = page.locator('[data-lead-time]');
    expect(await lead.getAttribute('data-lead-time')).toBe(String(LEAD_SECONDS));
    expect(await lead.innerText()).toContain('Lead time for changes: 45 min');
    expect(await lead.innerText()).toContain(SHA.slice(0, 7));
    await page.close();
  });

  it('the images list counts where each image runs and filters to deployed images', async () => {
    const page = await signedIn();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Images' }).click();
    const rows = page.locator('tr[data-image]');
    await rows.first().waitFor(); // the page's chunk, then the list, load after the click
    await expect.poll(() => rows.count()).toBe(2);
    expect(await page.locator('th', { hasText: 'Deployed in' }).count()).toBe(1);
    expect(await page.locator(`tr[data-image="${shopId}"] td[data-deployed-in]`).innerText()).toBe('1');
    expect(
      await page.locator('tr', { hasText: 'team/idle' }).locator('td[data-deployed-in]').innerText(),
    ).toBe('0');
    await page.getByLabel('Deployed only').check();
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('deployed')).toBe('true');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().innerText()).toContain('team/shop');
    await page.close();
  });

  it('the Applications page lists what each application runs, and one application its timeline', async () => {
    const page = await signedIn();
    const asked: string[] = [];
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith('/api/v1/deployments/applications')) asked.push(path);
    });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Applications' }).click();
    await page.getByRole('heading', { level: 1, name: 'Applications' }).waitFor();
    const shop = page.locator('section[data-application="shop"]');
    const table = shop.getByRole('table', { name: 'Images shop runs now' });
    await table.waitFor();
    // The whole page in one request, not one per application.
    expect(asked).toEqual(['/api/v1/deployments/applications']);
    const row = await table.locator('tbody tr').first().innerText();
    for (const text of ['team/shop@', '2.0', 'shop build', SHA.slice(0, 7), 'main', 'prod'])
      expect(row).toContain(text);
    // The digest links to its image.
    await table.getByRole('link', { name: /team\/shop@/ }).click();
    await page.getByRole('table', { name: 'Running now' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/images/${encodeURIComponent(shopId)}`);

    await page.goto(`${server.url}/applications/shop`);
    await page.getByRole('heading', { level: 1, name: 'shop' }).waitFor();
    const timeline = page.getByRole('list', { name: 'Timeline' });
    await timeline.waitFor();
    expect(await timeline.locator('li').count()).toBe(1);
    expect(await timeline.innerText()).toContain('running');
    expect(await page.locator('dd[data-deployments]').getAttribute('data-deployments')).toBe('1');
    await page.close();
  });

  it('the application shows its median lead time and deployment frequency over the chosen period', async () => {
    const page = await signedIn();
    await page.goto(`${server.url}/applications/shop`);
    const median = page.locator('dd[data-median-lead-time]');
    const deployments = page.locator('dd[data-deployments]');
    const period = page.getByLabel('Period');
    // The default period, the last 30 days, holds the shop digest's first running 3 days ago.
    await median.waitFor();
    expect(await period.inputValue()).toBe('30');
    expect(await median.getAttribute('data-median-lead-time')).toBe(String(LEAD_SECONDS));
    expect(await median.innerText()).toBe('45 min');
    expect(await deployments.getAttribute('data-deployments')).toBe('1');
    expect(Number(await page.locator('[data-per-day]').getAttribute('data-per-day'))).toBeCloseTo(1 / 30, 6);
    expect(await deployments.innerText()).toContain('0.2 per week');
    expect(await page.getByRole('list', { name: 'Lead time per digest' }).innerText()).toContain('45 min');
    // `npm run screenshots` keeps this page (its period choice) in docs/screenshots/ with the others.
    if (process.env['IMAGETRAIL_UPDATE_SCREENSHOTS'] === '1')
      await page.screenshot({ path: join(ROOT, 'docs', 'screenshots', 'application.png'), fullPage: true });

    // The last 24 hours hold no deployment of it: no median, none counted.
    await period.selectOption({ label: 'Last 24 hours' });
    await expect.poll(() => new URL(page.url()).searchParams.get('days')).toBe('1');
    await expect.poll(() => deployments.getAttribute('data-deployments')).toBe('0');
    expect(await median.getAttribute('data-median-lead-time')).toBe('');
    expect(await median.innerText()).toContain('no build with a commit time');

    await period.selectOption({ label: 'All time' });
    await expect.poll(() => deployments.getAttribute('data-deployments')).toBe('1');
    expect(new URL(page.url()).searchParams.get('days')).toBe('all');
    expect(await median.getAttribute('data-median-lead-time')).toBe(String(LEAD_SECONDS));
    expect(await page.locator('[data-per-day]').count()).toBe(0);
    await page.close();
  });

  it('the CLI prints the same lead time and frequency, and --json the API answer', async () => {
    const json = await cli(server, [
      'deployments',
      'lead-time',
      '--application',
      'shop',
      '--days',
      '7',
      '--json',
    ]);
    expect(json.code, json.stderr).toBe(0);
    const r = JSON.parse(json.stdout) as Record<string, any>;
    expect(r.items).toEqual([
      {
        digest: shopDigest,
        application: 'shop',
        commitSha: SHA,
        commitTime: expect.any(String),
        firstRunningAt: T0,
        seconds: LEAD_SECONDS,
      },
    ]);
    expect(Date.parse(r.items[0].commitTime)).toBe(Date.parse(COMMIT));
    expect(r.medianSeconds).toBe(LEAD_SECONDS);
    expect(r.frequency).toEqual([{ application: 'shop', deployments: 1, perDay: 1 / 7 }]);
    const text = await cli(server, ['deployments', 'show', 'shop', '--days', '7']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`median: ${LEAD_SECONDS} s (45 min) over 1 digest(s)`);
    expect(text.stdout).toContain('shop: 1 deployment(s), 0.14 per day');
    const bad = await cli(server, ['deployments', 'lead-time', '--days', '0']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('days');
  });

  it('an image nobody reported, seen running, is enriched and marked "discovered in cluster"', async () => {
    await observe(3, {
      observedAt: T2,
      upserts: [
        {
          ...group('prod', 'found'),
          workloadName: 'found',
          repository: 'team/found',
          digest: foundDigest,
          replicas: 1,
          firstStartedAt: T1,
        },
      ],
    });
    let foundId = '';
    await expect
      .poll(
        async () => {
          const res = await api(server, 'GET', '/api/v1/images?repository=team/found');
          foundId = (res.json?.items?.[0]?.id as string | undefined) ?? '';
          return foundId;
        },
        { timeout: 60_000, interval: 500 },
      )
      .not.toBe('');
    const page = await signedIn();
    await page.goto(`${server.url}/images/${encodeURIComponent(foundId)}`);
    await page.getByRole('table', { name: 'Running now' }).waitFor();
    expect(await page.locator('[data-discovered]').innerText()).toBe('discovered in cluster');
    expect(await page.getByRole('table', { name: 'Running now' }).innerText()).toContain('found');
    await page.close();
  });
});
