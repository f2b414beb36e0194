import { describe, expect, it } from 'vitest';
import type { AuditStore } from '../../src/store/audit-store.js';
import { FakeAuditStore } from '../../src/store/fake-audit-store.js';
import { SqlAuditStore } from '../../src/store/sql-audit-store.js';
import { SqlTokenStore } from '../../src/store/sql-token-store.js';
import { eachDatabase, useTestDatabase, type TestDatabase } from '../helpers/databases.js';

type Subject = { store: (now?: () => Date) => AuditStore; database?: () => TestDatabase };

const subjects: [string, () => Subject][] = [
  ['fake', () => ({ store: (now) => new FakeAuditStore({ now }) })],
  ...eachDatabase().map((engine): [string, () => Subject] => [
    engine,
    () => {
      const database = useTestDatabase(engine);
      return { store: (now) => new SqlAuditStore({ db: database().db, now }), database };
    },
  ]),
];

describe.each(subjects)('audit store (%s)', (_label, setup) => {
  const subject = setup();

  it('records events and lists them newest first, stable within one millisecond', async () => {
    const fixed = () => new Date('2031-05-05T05:05:05.005Z');
    const store = subject.store(fixed);
    const recorded = [];
    for (let i = 0; i < 5; i++) {
      recorded.push(
        await store.record({ action: 'token.create', target: `t${i}`, detail: { i, nested: { ok: true } } }),
      );
    }
    const listed = await store.list({ limit: 5 });
    expect(listed.map((e) => e.target)).toEqual(['t4', 't3', 't2', 't1', 't0']);
    expect(listed[0]).toEqual({ ...recorded[4], actorTokenId: null });
    expect(listed[0]?.detail).toEqual({ i: 4, nested: { ok: true } });
  });

  it('honours the limit and rejects one out of range', async () => {
    const store = subject.store();
    for (let i = 0; i < 3; i++) await store.record({ action: 'image.report' });
    expect(await store.list({ limit: 2 })).toHaveLength(2);
    await expect(store.list({ limit: 0 })).rejects.toThrow();
    await expect(store.list({ limit: 100_000 })).rejects.toThrow();
  });

  it('rejects malformed actions', async () => {
    const store = subject.store();
    await expect(store.record({ action: 'Not An Action' })).rejects.toThrow(/dotted lowercase verb/);
  });

  it('links the actor to an existing API token (foreign keys are on in both engines)', async () => {
    if (!subject.database) return;
    const db = subject.database().db;
    const store = subject.store();
    const { id } = await new SqlTokenStore({ db }).create({ name: 'actor', scopes: ['admin'] });
    const event = await store.record({ actorTokenId: id, action: 'token.revoke', target: id });
    expect(event.actorTokenId).toBe(id);
    await expect(store.record({ actorTokenId: 'tok_nobody', action: 'token.revoke' })).rejects.toThrow(
      /foreign key/i,
    );
  });
});
