import { describe, expect, it } from 'vitest';
import { seedImages } from '../../bench/seed-images.js';
import { InputError } from '../../src/domain/errors.js';
import type { EnrichedImage, ImageListQuery, ImageSummary } from '../../src/contract/images.js';
import { encodeCursor, type EnrichmentRecord } from '../../src/store/image-store.js';
import { all, digestOf, hex, report, subjects, useEmptyImageTables } from './image-store-subjects.js';
import { manualClock } from './manual-clock.js';

// The image store lists what it recorded: filters, paging, cursors, and bulk-seeded images. On the in-memory
// fake and both SQL engines. Recording: image-store-record.test.ts.

describe.each(subjects)('image store (%s)', (label, setup) => {
  const subject = setup();

  useEmptyImageTables(subject);

  it('filters by repository (exact and prefix), registry, tag, branch, commit, issue and digest', async () => {
    const clock = manualClock();
    const store = subject.store(clock.now);
    const ids: string[] = [];
    const specs: Array<[Partial<EnrichedImage>, Partial<EnrichmentRecord>]> = [
      [{ repository: 'team/app' }, {}],
      [{ repository: 'team/app-worker', tags: ['latest'] }, {}],
      [
        { repository: 'team-b/app' },
        { git: { repo: 'acme/b', branch: 'feature/x', sha: 'abcdef1234567890abcdef1234567890abcdef12' } },
      ],
      [
        { repository: 'other', registry: 'ghcr.io', registryType: 'registry.oci', tags: ['latest'] },
        { issues: [] },
      ],
    ];
    for (const [n, [img, over]] of specs.entries()) {
      ids.push((await store.recordEnrichment(report(n + 1, over, img))).imageId);
      clock.advance(1000);
    }
    const [a, b, c, d] = ids;
    const q = async (query: Omit<ImageListQuery, 'limit'>) => (await all(store, query)).map((i) => i.id);

    expect(await q({})).toEqual([d, c, b, a]);
    expect(await q({ repository: 'team/app' })).toEqual([a]);
    expect(await q({ repository: 'team/*' })).toEqual([b, a]);
    expect(await q({ repository: 'team*' })).toEqual([c, b, a]);
    expect(await q({ repository: '*' })).toEqual([d, c, b, a]);
    expect(await q({ repository: 'nope/*' })).toEqual([]);
    expect(await q({ registry: 'ghcr.io' })).toEqual([d]);
    expect(await q({ tag: 'latest' })).toEqual([d, b]);
    expect(await q({ tag: 'v3' })).toEqual([c]);
    expect(await q({ branch: 'feature/x' })).toEqual([c]);
    expect(await q({ branch: 'main' })).toEqual([d, b, a]);
    expect(await q({ commit: 'ABCDEF1' })).toEqual([c]);
    expect(await q({ commit: 'abcdef1234567890abcdef1234567890abcdef12' })).toEqual([c]);
    expect(await q({ commit: hex(2, 40) })).toEqual([b]);
    expect(await q({ issue: 'proj-2' })).toEqual([b]);
    expect(await q({ issue: 'PROJ-4' })).toEqual([]);
    expect(await q({ digest: digestOf(3) })).toEqual([c]);
    expect(await q({ digest: hex(3) })).toEqual([c]);
    expect(await q({ repository: 'team/*', tag: 'latest' })).toEqual([b]);
    expect(await q({ registry: 'ghcr.io', branch: 'feature/x' })).toEqual([]);
  });

  it('pages through 120 images with limit 50: each exactly once, newest first', async () => {
    const clock = manualClock();
    const store = subject.store(clock.now);
    for (let n = 0; n < 120; n++) {
      await store.recordEnrichment(report(n, { pullRequests: [], issues: [] }));
      // Groups of three share a timestamp, so the id tie-breaker is exercised at page boundaries.
      if (n % 3 === 2) clock.advance(1);
    }
    const pages: ImageSummary[][] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list({ limit: 50, ...(cursor ? { cursor } : {}) });
      pages.push(page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages.map((p) => p.length)).toEqual([50, 50, 20]);
    const items = pages.flat();
    expect(new Set(items.map((i) => i.id)).size).toBe(120);
    expect(new Set(items.map((i) => i.digest)).size).toBe(120);
    const keys = items.map((i) => [i.updatedAt, i.id] as const);
    const sorted = [...keys].sort((x, y) => (x[0] === y[0] ? (x[1] < y[1] ? 1 : -1) : x[0] < y[0] ? 1 : -1));
    expect(keys).toEqual(sorted);
    // A page that ends exactly at the last item has no next cursor.
    expect((await store.list({ limit: 120 })).nextCursor).toBeUndefined();
    expect((await store.list({ limit: 119 })).nextCursor).toBeDefined();
  });

  it('rejects malformed cursors and filters with an InputError', async () => {
    const store = subject.store();
    await store.recordEnrichment(report(1));
    for (const cursor of [
      'not a cursor',
      '!!!',
      Buffer.from('{"a":1}').toString('base64url'),
      Buffer.from('["yesterday","img_x"]').toString('base64url'),
      Buffer.from('["2025-01-01T00:00:00.000Z"]').toString('base64url'),
      Buffer.from('not json').toString('base64url'),
    ]) {
      await expect(store.list({ limit: 50, cursor })).rejects.toBeInstanceOf(InputError);
    }
    await expect(store.list({ limit: 50, commit: 'abc' })).rejects.toBeInstanceOf(InputError);
    await expect(store.list({ limit: 50, commit: 'zzzzzzzz' })).rejects.toBeInstanceOf(InputError);
    await expect(store.list({ limit: 0 })).rejects.toBeInstanceOf(InputError);
    await expect(store.list({ limit: 50, repository: 'a*b*' })).rejects.toBeInstanceOf(InputError);
    // A well-formed cursor past the end is simply an empty page.
    expect(
      await store.list({
        limit: 50,
        cursor: encodeCursor({ updatedAt: '2000-01-01T00:00:00.000Z', id: 'img_0' }),
      }),
    ).toEqual({
      items: [],
    });
  });

  if (label === 'fake') return;

  it('seedImages bulk-inserts synthetic images that list finds', async () => {
    const { db } = subject.database!();
    const seeded = await seedImages(db, 1000, { batchSize: 300 });
    expect(seeded).toMatchObject({ images: 1000 });
    const store = subject.store();
    const everything = await all(store, { limit: 200 });
    expect(everything).toHaveLength(1000);
    expect(new Set(everything.map((i) => i.id)).size).toBe(1000);
    expect(everything.every((i) => i.tags.length > 0 && i.latestBuild !== undefined)).toBe(true);
    const byRepo = await all(store, { repository: everything[0]?.repository ?? '' });
    expect(byRepo.length).toBeGreaterThan(0);
    expect(byRepo.every((i) => i.repository === everything[0]?.repository)).toBe(true);
    expect((await all(store, { branch: 'main' })).length).toBeGreaterThan(0);
    expect((await all(store, { issue: 'SEED-1' })).length).toBeGreaterThan(0);
  });
});
