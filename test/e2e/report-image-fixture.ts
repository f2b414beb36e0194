import { afterAll, beforeAll, expect } from 'vitest';
import { createEcrIamScenario, startMoto, type EcrIamScenario, type MotoPeer } from '../peers/moto.js';
import { startRegistry, type RegistryPeer } from '../peers/registry.js';
import type { PushedImage, PushedIndex, PushedManifest } from '../peers/images.js';
import {
  addEcrKeyIntegration,
  api,
  cli,
  startImagetrail,
  type ServerHandle,
  reportImageArgs,
} from '../helpers/imagetrail.js';
import { bareRemote } from '../helpers/git.js';
import { EcrSeeder, REGION } from '../helpers/ecr-seed.js';

// Issue 3 end to end: CI reports (the real CLI) → the server persists a job → the runner enriches it from
// moto (ECR API, IAM enforced) and distribution (registry data plane, ECR-style Basic auth) → the API serves
// the record. moto differences (test-peers.md): moto invents digests unless PutImage is given one (the
// seeder passes the registry's), its token expiresAt is in 2015, and its proxyEndpoint names the real AWS
// host, hence the registry endpoint override.
//
// The setup shared by report-image*.test.ts: call useReportImageServer() once at the top of a test file; the
// bindings below are set by its beforeAll (read them inside tests and hooks only).

const OTHER_ACCOUNT = '210987654321';
export const OTHER_HOST = `${OTHER_ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;

export let moto: MotoPeer;
export let registry: RegistryPeer;
export let s: EcrIamScenario;
let remote: Awaited<ReturnType<typeof bareRemote>>;
export let server: ServerHandle;
export let reportToken: string;
export const seeded: {
  oci?: PushedImage;
  docker?: PushedImage;
  index?: PushedIndex;
  list?: PushedIndex;
  sig?: PushedManifest;
  sbom?: PushedManifest;
} = {};

export function endpoints(): string[] {
  return [
    '--api-endpoint',
    moto.endpoint,
    '--sts-endpoint',
    moto.endpoint,
    '--registry-endpoint',
    registry.url,
  ];
}

export async function report(image: string, extra: string[] = [], env: Record<string, string> = {}) {
  return cli(server, [...reportImageArgs(image), ...extra], {
    token: reportToken,
    env,
  });
}

export async function detailOf(id: string) {
  const r = await api(server, 'GET', `/api/v1/images/${id}`);
  expect(r.status, r.text).toBe(200);
  return r.json;
}

/** Seeds the images, starts the server with the `ecr` and `no-rights` integrations and a report token. */
export function useReportImageServer(): void {
  beforeAll(async () => {
    [moto, registry, remote] = await Promise.all([startMoto(), startRegistry(), bareRemote()]);
    s = await createEcrIamScenario(moto);
    const seed = new EcrSeeder(moto, registry);
    seeded.oci = await seed.image('team/app', 'oci', {
      format: 'oci',
      labels: { 'org.opencontainers.image.source': 'https://github.com/acme/app', team: 'payments' },
    });
    seeded.docker = await seed.image('team/app', 'docker', { format: 'docker' });
    seeded.index = await seed.index('team/multi', 'oci-index', { format: 'oci' });
    seeded.list = await seed.index('team/multi', 'docker-list', { format: 'docker' });
    seeded.sig = await seed.signature('team/app', seeded.docker);
    seeded.sbom = await seed.sbom('team/app', seeded.oci);
    // The same manifest bytes in another account's registry: the account comes from the image host.
    await seed.mirror('team/app', 'shared/base', seeded.oci, 'v1', OTHER_ACCOUNT);
    await moto.enableIamAuth();
    server = await startImagetrail({
      configRepo: remote.url,
      env: { IMAGETRAIL_REPORT_RETRY_BASE_MS: '100', IMAGETRAIL_REPORT_POLL_MS: '200' },
    });
    const add = await addEcrKeyIntegration(server, 'ecr', s.users.ro, endpoints());
    expect(add.code, add.stderr).toBe(0);
    const noecr = await addEcrKeyIntegration(server, 'no-rights', s.users.noecr, [
      '--skip-test',
      ...endpoints(),
    ]);
    expect(noecr.code, noecr.stderr).toBe(0);
    const tok = await cli(server, ['token', 'create', 'ci', '--scope', 'report', '--json']);
    reportToken = JSON.parse(tok.stdout).token;
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await Promise.all([moto?.stop(), registry?.stop(), remote?.cleanup()]);
  });
}
