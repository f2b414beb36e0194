import { describe, expect, it } from 'vitest';
import { api, cli } from '../helpers/imagetrail.js';
import { HOST } from '../helpers/ecr-seed.js';
import {
  detailOf,
  report,
  reportToken,
  seeded,
  server,
  useReportImageServer,
} from './report-image-fixture.js';

// Reports of the seeded images (manifest kinds, digests, artifacts), idempotency and the image list. Setup
// and the path under test: report-image-fixture.ts. Joins: report-image-joins.test.ts; failures and
// retries: report-image-failures.test.ts.

useReportImageServer();

describe('seeded images, reported with --wait', () => {
  it('an OCI image manifest: digest, platform, config facts, layers, referrers', async () => {
    const r = await report(`${HOST}/team/app:oci`);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const done = JSON.parse(r.stdout);
    expect(done.status).toBe('succeeded');
    expect(done.result.digest).toBe(seeded.oci!.digest);
    const d = await detailOf(done.result.imageId);
    expect(d).toMatchObject({
      registry: HOST,
      repository: 'team/app',
      digest: seeded.oci!.digest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
    });
    expect(d.tags).toContain('oci');
    expect(d.platformsDetail).toEqual([
      expect.objectContaining({ os: 'linux', architecture: 'amd64', digest: seeded.oci!.digest }),
    ]);
    expect(d.createdAt).toBe(seeded.oci!.created);
    expect(d.labels).toMatchObject({ team: 'payments' });
    expect(d.layers.map((l: { digest: string }) => l.digest)).toEqual(
      seeded.oci!.layers.map((l) => l.digest),
    );
    expect(d.config.historyCount).toBe(seeded.oci!.historyCount);
    const expectedSize =
      seeded.oci!.size + seeded.oci!.config.size + seeded.oci!.layers.reduce((n, l) => n + l.size, 0);
    expect(d.size).toBe(expectedSize);
    expect(d.referrers).toEqual(
      expect.arrayContaining([expect.objectContaining({ digest: seeded.sbom!.digest, kind: 'sbom' })]),
    );
    // The CLI showed the steps on stderr as they happened (progress), and JSON alone on stdout.
    expect(() => JSON.parse(r.stdout)).not.toThrow();
  });

  it('a Docker v2 schema 2 manifest with a cosign signature recorded as its artifact', async () => {
    const r = await report(`${HOST}/team/app:docker`);
    expect(r.code, r.stderr).toBe(0);
    const done = JSON.parse(r.stdout);
    expect(done.result.digest).toBe(seeded.docker!.digest);
    const d = await detailOf(done.result.imageId);
    expect(d.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(d.referrers).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'signature', digest: seeded.sig!.digest })]),
    );
    expect(d.tags).not.toEqual(expect.arrayContaining([expect.stringMatching(/\.sig$/)]));
  });

  it('an OCI index: two platforms with their own digests', async () => {
    const r = await report(`${HOST}/team/multi:oci-index`);
    expect(r.code, r.stderr).toBe(0);
    const done = JSON.parse(r.stdout);
    expect(done.result.digest).toBe(seeded.index!.digest);
    const d = await detailOf(done.result.imageId);
    expect(d.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    const platforms = d.platformsDetail.map(
      (p: { os: string; architecture: string; variant?: string; digest: string }) => [
        p.os,
        p.architecture,
        p.variant ?? '',
        p.digest,
      ],
    );
    expect(platforms).toEqual(
      seeded.index!.children.map((c) => [
        c.platform.os,
        c.platform.architecture,
        c.platform.variant ?? '',
        c.digest,
      ]),
    );
  });

  it('a Docker manifest list: two platforms', async () => {
    const r = await report(`${HOST}/team/multi:docker-list`);
    expect(r.code, r.stderr).toBe(0);
    const d = await detailOf(JSON.parse(r.stdout).result.imageId);
    expect(d.digest).toBe(seeded.list!.digest);
    expect(d.platformsDetail).toHaveLength(2);
    expect(d.platformsDetail.map((p: { digest: string }) => p.digest).sort()).toEqual(
      seeded.list!.children.map((c) => c.digest).sort(),
    );
  });

  it('a digest reference', async () => {
    const r = await report(`${HOST}/team/app@${seeded.oci!.digest}`);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).result.digest).toBe(seeded.oci!.digest);
  });

  it('a signature tag is refused as an image, with the reason', async () => {
    const tag = seeded.docker!.digest.replace(':', '-') + '.sig';
    const r = await report(`${HOST}/team/app:${tag}`);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.message).toContain('artifact of its subject');
  });
});

describe('idempotency and the image list', () => {
  it('the same report twice gives one image and one build; a new tag on the same digest adds the tag', async () => {
    const args = [
      '--workflow-name',
      'build-42',
      '--workflow-url',
      'https://ci.example/runs/42',
      '--git-repo',
      'acme/app',
      '--git-branch',
      'main',
      '--git-sha',
      'a'.repeat(40),
    ];
    const a = JSON.parse((await report(`${HOST}/team/app:oci`, args)).stdout);
    const b = JSON.parse((await report(`${HOST}/team/app:oci`, args)).stdout);
    expect(a.result.imageId).toBe(b.result.imageId);
    const d = await detailOf(a.result.imageId);
    expect(
      d.builds.filter((x: { workflowUrl?: string }) => x.workflowUrl === 'https://ci.example/runs/42'),
    ).toHaveLength(1);
  });

  it('lists with filters and pages', async () => {
    const all = await api(server, 'GET', '/api/v1/images?limit=2', undefined, reportToken);
    expect(all.status).toBe(200);
    expect(all.json.items).toHaveLength(2);
    expect(all.json.nextCursor).toEqual(expect.any(String));
    const next = await api(
      server,
      'GET',
      `/api/v1/images?limit=2&cursor=${encodeURIComponent(all.json.nextCursor)}`,
      undefined,
      reportToken,
    );
    const ids = [...all.json.items, ...next.json.items].map((i: { id: string }) => i.id);
    expect(new Set(ids).size).toBe(ids.length);
    const byRepo = await api(server, 'GET', '/api/v1/images?repository=team/multi');
    expect(byRepo.json.items.map((i: { digest: string }) => i.digest).sort()).toEqual(
      [seeded.index!.digest, seeded.list!.digest].sort(),
    );
    const byBranch = await api(server, 'GET', '/api/v1/images?branch=main');
    expect(byBranch.json.items.map((i: { digest: string }) => i.digest)).toEqual([seeded.oci!.digest]);
    const byCommit = await api(server, 'GET', `/api/v1/images?commit=${'a'.repeat(12)}`);
    expect(byCommit.json.items).toHaveLength(1);
    const badCursor = await api(server, 'GET', '/api/v1/images?cursor=%%%');
    expect(badCursor.status).toBe(400);
    const cliList = await cli(server, ['images', 'list', '--repository', 'team/multi']);
    expect(cliList.code, cliList.stderr).toBe(0);
    expect(cliList.stdout).toContain('linux/arm64/v8');
    const show = await cli(server, ['images', 'show', `${HOST}/team/multi:oci-index`, '--json']);
    expect(show.code, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout).digest).toBe(seeded.index!.digest);
  });
});
