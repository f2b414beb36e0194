import { describe, expect, it } from 'vitest';
import type { EnrichedImage, Platform } from '../../src/contract/images.js';
import { SqlImageStore } from '../../src/store/sql-image-store.js';
import { batches, MAX_PARAMETERS_PER_STATEMENT } from '../../src/store/sql-image-children.js';
import { eachDatabase, useTestDatabase } from '../helpers/databases.js';

const hex = (n: number, len = 64) => n.toString(16).padStart(len, '0');

/** An index far past SQLite's 32,766-variable limit for one statement (about 4,700 platform rows). */
function bigIndex(entries: number): EnrichedImage {
  const platforms: Platform[] = Array.from({ length: entries }, (_, i) => ({
    os: 'linux',
    architecture: `arch${i}`,
    digest: `sha256:${hex(i + 1)}`,
    size: 1000 + i,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
  }));
  return {
    registry: '123456789012.dkr.ecr.us-east-1.amazonaws.com',
    repository: 'team/big',
    digest: `sha256:${hex(999_999)}`,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    // The same manifest listed twice is one platform.
    tags: Array.from({ length: entries }, (_, i) => `t${i}`),
    size: 1,
    platforms: [...platforms, ...platforms.slice(0, 50)],
    layers: [],
    labels: {},
    annotations: {},
    referrers: Array.from({ length: entries }, (_, i) => ({
      digest: `sha256:${hex(i + 10_000_000)}`,
      kind: 'attestation',
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
    })),
    registryType: 'registry.ecr',
  };
}

describe('batches', () => {
  it('never puts more than the parameter budget in one statement, and loses no row', () => {
    const rows = Array.from({ length: 12_345 }, (_, i) => i);
    const out = batches(rows, 8);
    expect(out.flat()).toEqual(rows);
    for (const b of out) expect(b.length * 8).toBeLessThanOrEqual(MAX_PARAMETERS_PER_STATEMENT);
  });
});

describe.each(eachDatabase())('an index of more than 5,000 entries (%s)', (engine) => {
  const database = useTestDatabase(engine);

  it('is stored whole, in batches, with duplicate entries removed, and stored again over itself', async () => {
    const store = new SqlImageStore({ db: database().db, dialect: database().engine });
    const image = bigIndex(5_200);
    const build = { runtime: 'local', reportId: 'rep_big', reportedAt: '2025-01-01T00:00:00.000Z' };
    const first = await store.recordEnrichment({ image, build });
    // A second enrichment replaces the platforms and referrers (delete + batched insert again).
    const second = await store.recordEnrichment({ image, build: { ...build, reportId: 'rep_big2' } });
    expect(second.imageId).toBe(first.imageId);

    const detail = await store.get(first.imageId);
    expect(detail?.platformsDetail).toHaveLength(5_200);
    expect(detail?.platformsDetail.map((p) => p.architecture)).toEqual(
      Array.from({ length: 5_200 }, (_, i) => `arch${i}`),
    );
    expect(new Set(detail?.platformsDetail.map((p) => p.digest)).size).toBe(5_200);
    expect(detail?.referrers).toHaveLength(5_200);
    expect(detail?.tags).toHaveLength(5_200);
  });
});

describe.each(eachDatabase())('Git facts across reports (%s)', (engine) => {
  const database = useTestDatabase(engine);

  it('a later report without Git facts does not blank the commit and branch the list shows', async () => {
    let t = Date.parse('2026-01-01T00:00:00.000Z');
    const store = new SqlImageStore({
      db: database().db,
      dialect: database().engine,
      now: () => new Date((t += 1000)),
    });
    const image = { ...bigIndex(2), repository: 'team/git', digest: `sha256:${hex(4242)}` };
    const sha = hex(7, 40);
    const first = await store.recordEnrichment({
      image,
      build: {
        runtime: 'local',
        reportId: 'rep_a',
        reportedAt: '2026-01-01T00:00:00.000Z',
        workflowName: 'ci',
      },
      git: { repo: 'acme/app', branch: 'main', sha, message: 'feat: x' },
    });
    await store.recordEnrichment({
      image,
      build: {
        runtime: 'local',
        reportId: 'rep_b',
        reportedAt: '2026-01-02T00:00:00.000Z',
        workflowName: 'retag',
      },
    });
    const page = await store.list({ repository: 'team/git', limit: 10 });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]!.latestBuild?.workflowName).toBe('retag');
    expect(page.items[0]!.git).toEqual({ repo: 'acme/app', branch: 'main', sha, message: 'feat: x' });
    const detail = await store.get(first.imageId);
    expect(detail?.git).toMatchObject({ sha, branch: 'main' });
    expect(detail?.commits.map((c) => c.sha)).toEqual([sha]);
  });
});
