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

  it('filters by action, action family, actor and time, and pages with the last id as cursor', async () => {
    let clock = Date.parse('2032-01-01T00:00:00.000Z');
    const store = subject.store(() => new Date((clock += 1000)));
    // Earlier tests share a database: start from an empty trail.
    await subject.database?.().db.deleteFrom('audit_events').execute();
    const tokens = subject.database ? new SqlTokenStore({ db: subject.database().db }) : undefined;
    const actorA = tokens ? (await tokens.create({ name: 'a', scopes: ['admin'] })).id : 'tok_a';
    const actorB = tokens ? (await tokens.create({ name: 'b', scopes: ['admin'] })).id : 'tok_b';
    await store.record({ actorTokenId: actorA, action: 'integration.create', target: 'i1' });
    await store.record({ actorTokenId: actorB, action: 'integration.secret-use', target: 'i1' });
    await store.record({ actorTokenId: actorA, action: 'token.create', target: 't1' });
    await store.record({ action: 'recipient.pin', target: 'runtime/r' });
    await store.record({ actorTokenId: actorB, action: 'integrations.odd', target: 'x' });

    const targets = async (q: Parameters<AuditStore['list']>[0]) =>
      (await store.list(q)).map((e) => `${e.action}:${e.target}`);
    expect(await targets({ action: 'token.create' })).toEqual(['token.create:t1']);
    // A family matches at a dot boundary only: `integrations.odd` is not under `integration.*`.
    expect(await targets({ action: 'integration.*' })).toEqual([
      'integration.secret-use:i1',
      'integration.create:i1',
    ]);
    expect(await targets({ actorTokenIds: [actorA] })).toEqual(['token.create:t1', 'integration.create:i1']);
    expect(await targets({ actorTokenIds: [] })).toEqual([]);
    expect(await targets({ since: '2032-01-01T00:00:03Z' })).toEqual([
      'integrations.odd:x',
      'recipient.pin:runtime/r',
      'token.create:t1',
    ]);
    // An offset is the same instant.
    expect(await targets({ since: '2032-01-01T01:00:04+01:00' })).toHaveLength(2);

    const first = await store.list({ limit: 2 });
    expect(first.map((e) => e.target)).toEqual(['x', 'runtime/r']);
    const second = await store.list({ limit: 2, before: first[1]!.id });
    expect(second.map((e) => e.target)).toEqual(['t1', 'i1']);
    const third = await store.list({ limit: 2, before: second[1]!.id });
    expect(third.map((e) => e.action)).toEqual(['integration.create']);
    expect(await store.list({ limit: 2, before: third[0]!.id })).toEqual([]);
  });

  it('rejects malformed filters', async () => {
    const store = subject.store();
    await expect(store.list({ action: "x' or 1=1" })).rejects.toThrow(/action such as/);
    await expect(store.list({ since: 'yesterday' })).rejects.toThrow();
    await expect(store.list({ before: 'not-an-id' })).rejects.toThrow(/audit event id/);
  });
});
