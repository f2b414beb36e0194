import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { createEcrIamScenario, startMoto, type EcrIamScenario, type MotoPeer } from '../peers/moto.js';
import { startRegistry, type RegistryPeer } from '../peers/registry.js';
import { cli, ROOT, startImagetrail, type ServerHandle } from '../helpers/imagetrail.js';
import { bareRemote } from '../helpers/git.js';
import { EcrSeeder, REGION } from '../helpers/ecr-seed.js';
import { launchChromium, type Browser } from '../helpers/chromium.js';
import { addCloudAndOldRuntimes } from './runtimes-seed.js';

// The dashboard end to end: a real `imagetrail serve` (moto with IAM enforced as ECR and STS, distribution
// as the registry data plane, a bare Git remote as the shared configuration repository) driven in Debian's
// Chromium through playwright-core. It also takes the README's screenshots: into docs/screenshots/ when
// asked (`npm run screenshots`), else into a temporary folder, so a test run leaves the checkout as it was.
//
// The setup shared by dashboard.test.ts and dashboard-sign-in.test.ts: call useDashboard() once at the top
// of a test file; the bindings below are set by its beforeAll (read them inside tests and hooks only).

const UPDATE_DOCS = process.env['IMAGETRAIL_UPDATE_SCREENSHOTS'] === '1';
const DOCS_SHOTS = join(ROOT, 'docs', 'screenshots');
export let SHOTS = DOCS_SHOTS;

export let moto: MotoPeer;
export let registry: RegistryPeer;
export let s: EcrIamScenario;
export let remote: Awaited<ReturnType<typeof bareRemote>>;
export let server: ServerHandle;
let browser: Browser;
export let context: BrowserContext;
export let page: Page;
export let reportOnlyToken: string;

/** Seeds `team/web:v1` (an index) and `team/api:1.0.0` (signed), adds the `cloud` and `old` runtimes. */
export function useDashboard(): void {
  beforeAll(async () => {
    [moto, registry, remote] = await Promise.all([startMoto(), startRegistry(), bareRemote()]);
    s = await createEcrIamScenario(moto);
    const seed = new EcrSeeder(moto, registry);
    await seed.index('team/web', 'v1', { format: 'oci' });
    const single = await seed.image('team/api', '1.0.0', {
      format: 'oci',
      labels: { 'org.opencontainers.image.source': 'https://github.com/acme/api', team: 'payments' },
    });
    await seed.signature('team/api', single);
    await moto.enableIamAuth();
    // The server runs as user `chain`: its ambient identity, as in the integrations e2e test.
    server = await startImagetrail({
      configRepo: remote.url,
      env: {
        AWS_ACCESS_KEY_ID: s.users.chain.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s.users.chain.secretAccessKey,
        AWS_REGION: REGION,
        IMAGETRAIL_REPORT_RETRY_BASE_MS: '100',
        IMAGETRAIL_REPORT_POLL_MS: '200',
      },
    });
    await addCloudAndOldRuntimes(server);
    const tok = await cli(server, ['token', 'create', 'ci', '--scope', 'report', '--json']);
    expect(tok.code, tok.stderr).toBe(0);
    reportOnlyToken = JSON.parse(tok.stdout).token;

    if (UPDATE_DOCS) await mkdir(SHOTS, { recursive: true });
    else SHOTS = await mkdtemp(join(tmpdir(), 'imagetrail-shots-'));
    browser = await launchChromium('dashboard');
    context = browser.context;
    page = context.pages()[0] ?? (await context.newPage());
  }, 180_000);

  afterAll(async () => {
    if (SHOTS !== DOCS_SHOTS) await rm(SHOTS, { recursive: true, force: true });
    await browser?.close();
    await server?.stop();
    await Promise.all([moto?.stop(), registry?.stop(), remote?.cleanup()]);
  });
}
