import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/domain/errors.js';
import { listReports } from '../../src/enrichment/report-list.js';
import { FakeReportStore } from '../../src/store/fake-report-store.js';
import type { ReportStore } from '../../src/store/report-store.js';
import { SqlReportStore } from '../../src/store/sql-report-store.js';
import { eachDatabase, useTestDatabase } from '../helpers/databases.js';

const HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';

function clock(start = Date.parse('2026-01-01T00:00:00.000Z')) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

const subjects: Array<[string, () => (now: () => Date) => ReportStore]> = [
  ['fake', () => (now) => new FakeReportStore({ now })],
  ...eachDatabase().map((engine): [string, () => (now: () => Date) => ReportStore] => [
    engine,
    () => {
      const database = useTestDatabase(engine);
      return (now) => new SqlReportStore({ db: database().db, now });
    },
  ]),
];

describe.each(subjects)('report list (%s)', (_label, setup) => {
  const make = setup();

  it('filters by status, runtime, image (prefix) and since, and pages with a cursor', async () => {
    const c = clock();
    const store = make(c.now);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const image = `${HOST}/team/${i % 2 ? 'api' : 'web'}:${i}`;
      ids.push((await store.enqueue({ image }, { runtime: i < 5 ? 'local' : 'edge' })).id);
      c.advance(60_000);
    }
    const job = await store.claim({ owner: 'w', leaseMs: 60_000 });
    await store.fail(job!.id, 'w', { message: 'no such tag', errorClass: 'NotFound', retryable: false });

    const all = await listReports(store, {});
    expect(all.items.map((r) => r.id)).toEqual([...ids].reverse());
    expect(all.nextCursor).toBeUndefined();

    const failed = await listReports(store, { status: 'failed' });
    expect(failed.items).toEqual([
      expect.objectContaining({ id: ids[0], error: { message: 'no such tag', errorClass: 'NotFound' } }),
    ]);
    expect((await listReports(store, { runtime: 'edge' })).items.map((r) => r.id)).toEqual([ids[6], ids[5]]);
    expect((await listReports(store, { image: `${HOST}/team/api` })).items.map((r) => r.image)).toEqual([
      `${HOST}/team/api:5`,
      `${HOST}/team/api:3`,
      `${HOST}/team/api:1`,
    ]);
    expect((await listReports(store, { image: `${HOST}/team/web:4` })).items).toHaveLength(1);
    expect((await listReports(store, { since: '2026-01-01T00:05:00.000Z' })).items.map((r) => r.id)).toEqual([
      ids[6],
      ids[5],
    ]);

    // Pages of 3: every report exactly once, newest first, query strings as the API gets them.
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listReports(store, { limit: '3', ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });

  it('refuses a bad filter or cursor with an InputError', async () => {
    const store = make(clock().now);
    for (const q of [
      { status: 'lost' },
      { since: 'yesterday' },
      { limit: '0' },
      { cursor: 'nope' },
      { x: '1' },
    ]) {
      await expect(listReports(store, q)).rejects.toBeInstanceOf(InputError);
    }
  });
});
