import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEcrIamScenario, startMoto, type EcrIamScenario, type MotoPeer } from '../peers/moto.js';
import { startRegistry, type RegistryPeer } from '../peers/registry.js';
import {
  OCI_INDEX,
  OCI_MANIFEST,
  pushImage,
  putManifest,
  type PushedImage,
  type PushedIndex,
  type PushedManifest,
} from '../peers/images.js';
import {
  addEcrKeyIntegration,
  api,
  cli,
  ROOT,
  startImagetrail,
  type ServerHandle,
} from '../helpers/imagetrail.js';
import { bareRemote, git } from '../helpers/git.js';
import { EcrSeeder, HOST } from '../helpers/ecr-seed.js';

// Issue 9 ("the first hour"), points 8, 9, 11 and 16, through the real CLI, server, moto (IAM enforced)
// and distribution.

let moto: MotoPeer;
let registry: RegistryPeer;
let s: EcrIamScenario;
let remote: Awaited<ReturnType<typeof bareRemote>>;
let server: ServerHandle;
let token: string;
let single: PushedImage;
let buildx: PushedIndex;
let nested: { outer: PushedManifest; inner: PushedManifest; amd64: PushedImage; arm64: PushedImage };

function endpoints(): string[] {
  return [
    '--api-endpoint',
    moto.endpoint,
    '--sts-endpoint',
    moto.endpoint,
    '--registry-endpoint',
    registry.url,
  ];
}

const report = (image: string, extra: string[] = [], env: Record<string, string> = {}) =>
  cli(server, ['report-image', '--image', image, '--json', ...extra], { token, env });
const waitFlags = ['--registry-integration', 'ecr', '--no-local-git', '--wait', '--wait-timeout', '60'];

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

/** An index of an index: the inner one lists an amd64 image without a platform field (its config says). */
async function pushNested(seed: EcrSeeder): Promise<typeof nested> {
  const t = seed.target;
  const amd64 = await pushImage(t, 'team/nested', undefined, { format: 'oci', labels: { from: 'amd64' } });
  const arm64 = await pushImage(t, 'team/nested', undefined, {
    format: 'oci',
    platform: { os: 'linux', architecture: 'arm64' },
    labels: { from: 'arm64' },
  });
  const innerBytes = json({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [{ mediaType: OCI_MANIFEST, digest: amd64.digest, size: amd64.size }],
  });
  const inner = await putManifest(t, 'team/nested', undefined, innerBytes, OCI_INDEX);
  const outerBytes = json({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      { mediaType: OCI_MANIFEST, digest: arm64.digest, size: arm64.size, platform: arm64.platform },
      { mediaType: OCI_INDEX, digest: inner.digest, size: inner.size },
    ],
  });
  const outer = await putManifest(t, 'team/nested', 'v1', outerBytes, OCI_INDEX);
  for (const m of [amd64, arm64, inner]) await seed.put('team/nested', m);
  await seed.put('team/nested', outer, 'v1');
  return { outer, inner, amd64, arm64 };
}

beforeAll(async () => {
  [moto, registry, remote] = await Promise.all([startMoto(), startRegistry(), bareRemote()]);
  s = await createEcrIamScenario(moto);
  const seed = new EcrSeeder(moto, registry);
  single = await seed.image('team/app', 'v1', { format: 'oci', labels: { team: 'payments' } });
  buildx = await seed.index('team/multi', 'v1', { format: 'oci', attestation: true });
  nested = await pushNested(seed);
  await moto.enableIamAuth();
  server = await startImagetrail({
    configRepo: remote.url,
    env: { IMAGETRAIL_REPORT_RETRY_BASE_MS: '100', IMAGETRAIL_REPORT_POLL_MS: '200' },
  });
  const add = await addEcrKeyIntegration(server, 'ecr', s.users.ro, endpoints());
  expect(add.code, add.stderr).toBe(0);
  const tok = await cli(server, ['token', 'create', 'ci-first-hour', '--scope', 'report', '--json']);
  token = JSON.parse(tok.stdout).token;
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await Promise.all([moto?.stop(), registry?.stop(), remote?.cleanup()]);
});

describe('point 8: reports refused at intake, listed, failures visible', () => {
  it('a typo in the integration name is exit 2 naming it and listing what exists; nothing is queued', async () => {
    const r = await report(`${HOST}/team/app:v1`, ['--registry-integration', 'ecrr', '--no-local-git']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('no registry integration named "ecrr"');
    expect(r.stderr).toContain('ecr (registry.ecr)');
    const list = await api(server, 'GET', '/api/v1/image-reports?limit=200', undefined, token);
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.json)).not.toContain('ecrr');
  });

  it('a non-ECR reference with an ECR integration is exit 2 naming the integration and runtime', async () => {
    const r = await report('ghcr.io/acme/app:1', ['--registry-integration', 'ecr', '--no-local-git']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/not on an Amazon ECR registry.*integration "ecr" on runtime "\w+"/);
  });

  it('a report that fails later is listed with its reason (API and `reports list`), without --wait', async () => {
    const r = await report(`${HOST}/team/app:nope`, ['--registry-integration', 'ecr', '--no-local-git']);
    expect(r.code, r.stderr).toBe(0);
    const id = JSON.parse(r.stdout).id as string;
    let failed: { id: string; error?: { message: string } } | undefined;
    for (let i = 0; i < 100 && !failed; i++) {
      const page = await api(server, 'GET', '/api/v1/image-reports?status=failed', undefined, token);
      failed = page.json.items.find((x: { id: string }) => x.id === id);
      if (!failed) await new Promise((res) => setTimeout(res, 200));
    }
    expect(failed?.error?.message).toMatch(/nope/);
    const listed = await cli(
      server,
      ['reports', 'list', '--status', 'failed', '--image', `${HOST}/team/app`],
      {
        token,
      },
    );
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(id);
    expect(listed.stdout).toContain('failed');
    const shown = await cli(server, ['reports', 'show', id], { token });
    expect(shown.stdout).toMatch(/Error: .*nope/);
    const alias = await cli(server, ['images', 'report', id, '--json'], { token });
    expect(JSON.parse(alias.stdout).status).toBe('failed');
  });
});

describe('point 11: one image, however its registry host is written', () => {
  it('upper case and an explicit :443 give the one image record', async () => {
    const ids = new Set<string>();
    for (const host of [HOST, HOST.toUpperCase(), `${HOST}:443`]) {
      const r = await report(`${host}/team/app:v1`, waitFlags);
      expect(r.code, r.stderr).toBe(0);
      ids.add(JSON.parse(r.stdout).result.imageId);
    }
    expect(ids.size).toBe(1);
    const page = await api(
      server,
      'GET',
      `/api/v1/images?repository=team/app&digest=${single.digest}`,
      undefined,
      token,
    );
    expect(page.json.items).toHaveLength(1);
    expect(page.json.items[0].registry).toBe(HOST);
  });
});

describe('point 9: Git facts', () => {
  it('are not taken from a working directory that is another repository (here imagetrail itself)', async () => {
    const head = (await git(ROOT, 'rev-parse', 'HEAD')).trim();
    const r = await report(`${HOST}/team/app:v1`, ['--registry-integration', 'ecr', '--wait'], {
      CF_GIT_REPO: 'acme/app',
      CF_GIT_BRANCH: 'main',
      CF_WORKFLOW_NAME: 'first-hour',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Git facts: repo from --git-repo / CF_GIT_REPO, branch from --git-branch');
    const d = (
      await api(server, 'GET', `/api/v1/images/${JSON.parse(r.stdout).result.imageId}`, undefined, token)
    ).json;
    expect(JSON.stringify(d)).not.toContain(head);
    expect(d.builds[0].git).toEqual({ repo: 'acme/app', branch: 'main' });
  });
});

describe('point 16: indexes', () => {
  it('a buildx index: created, labels and Env from linux/amd64, named; the attestation is not a platform', async () => {
    const r = await report(`${HOST}/team/multi:v1`, waitFlags);
    expect(r.code, r.stderr).toBe(0);
    const d = (
      await api(server, 'GET', `/api/v1/images/${JSON.parse(r.stdout).result.imageId}`, undefined, token)
    ).json;
    const amd64 = buildx.children[0]!;
    expect(d.createdAt).toBe(amd64.created);
    expect(d.labels).toEqual(amd64.labels);
    expect(d.config).toMatchObject({
      env: ['PATH=/usr/bin'],
      labelsFrom: { digest: amd64.digest, platform: 'linux/amd64' },
    });
    expect(
      d.platformsDetail.map((p: { os: string; architecture: string }) => `${p.os}/${p.architecture}`),
    ).toEqual(['linux/amd64', 'linux/arm64']);
    expect(d.platformsDetail[1].config).toMatchObject({
      env: ['PATH=/usr/bin'],
      labels: buildx.children[1]!.labels,
    });
    expect(d.referrers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          digest: buildx.attestation!.digest,
          kind: 'attestation',
          artifactType: 'attestation-manifest',
        }),
      ]),
    );
  });

  it('a nested index is followed; an entry without a platform takes it from its config', async () => {
    const r = await report(`${HOST}/team/nested:v1`, waitFlags);
    expect(r.code, r.stderr).toBe(0);
    const d = (
      await api(server, 'GET', `/api/v1/images/${JSON.parse(r.stdout).result.imageId}`, undefined, token)
    ).json;
    expect(
      d.platformsDetail.map((p: { os: string; architecture: string; digest: string }) => [
        `${p.os}/${p.architecture}`,
        p.digest,
      ]),
    ).toEqual([
      ['linux/arm64', nested.arm64.digest],
      ['linux/amd64', nested.amd64.digest],
    ]);
    expect(d.labels).toEqual({ from: 'amd64' });
    expect(d.config.labelsFrom.digest).toBe(nested.amd64.digest);
  });

  it('`inspect` prints the tags of the digest, human and --json', async () => {
    const ref = `${HOST}/team/multi:v1`;
    const human = await cli(server, ['inspect', ref, '--registry-integration', 'ecr']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/tags: +v1/);
    expect(human.stdout).toMatch(/labels of: +linux\/amd64/);
    const viaRegistry = await cli(
      undefined,
      ['inspect', `127.0.0.1:${new URL(registry.url).port}/team/multi:v1`, '--creds-stdin', '--json'],
      { stdin: `${registry.username}:${registry.password}` },
    );
    expect(viaRegistry.code, viaRegistry.stderr).toBe(0);
    expect(JSON.parse(viaRegistry.stdout).tags).toEqual(['v1']);
  });
});
