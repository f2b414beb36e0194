import { describe, expect, it } from 'vitest';
import { FakeTokenStore } from '../../src/store/fake-token-store.js';
import { SqlTokenStore } from '../../src/store/sql-token-store.js';
import { hashToken, type TokenStore } from '../../src/store/token-store.js';
import { eachDatabase, useTestDatabase, type TestDatabase } from '../helpers/databases.js';

/** A clock the tests move by hand. */
function manualClock(start = Date.parse('2025-01-01T00:00:00.000Z')) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

type Subject = { store: (now: () => Date) => TokenStore; database?: () => TestDatabase };

// The same contract on the fake and on both SQL engines, so the fake cannot drift from the real store.
const subjects: [string, () => Subject][] = [
  ['fake', () => ({ store: (now) => new FakeTokenStore({ now }) })],
  ...eachDatabase().map((engine): [string, () => Subject] => [
    engine,
    () => {
      const database = useTestDatabase(engine);
      return { store: (now) => new SqlTokenStore({ db: database().db, now }), database };
    },
  ]),
];

describe.each(subjects)('token store (%s)', (_label, setup) => {
  const subject = setup();

  it('creates a token that verifies to its principal, and stores only a hash', async () => {
    const store = subject.store(manualClock().now);
    const { id, token } = await store.create({ name: 'ci', scopes: ['report', 'runtime:local'] });
    expect(token).toMatch(/^it_[A-Za-z0-9_-]{43}$/);
    expect(await store.verify(token)).toEqual({ id, name: 'ci', scopes: ['report', 'runtime:local'] });

    if (subject.database) {
      const row = await subject
        .database()
        .db.selectFrom('api_tokens')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(row.token_hash).toBe(hashToken(token));
      expect(JSON.stringify(row)).not.toContain(token);
    }
  });

  it('rejects unknown, malformed and tampered tokens', async () => {
    const store = subject.store(manualClock().now);
    const { token } = await store.create({ name: 'x', scopes: ['admin'] });
    const flipped = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    for (const bad of [
      '',
      'it_',
      'Bearer ' + token,
      token + 'x',
      flipped,
      token.toUpperCase(),
      `it_${'a'.repeat(43)}`,
    ]) {
      expect(await store.verify(bad)).toBeNull();
    }
  });

  it('revokes: a revoked token no longer verifies and keeps its first revocation time', async () => {
    const clock = manualClock();
    const store = subject.store(clock.now);
    const { id, token } = await store.create({ name: 'old', scopes: ['report'] });
    clock.advance(1000);
    expect(await store.revoke(id)).toBe(true);
    clock.advance(1000);
    expect(await store.revoke(id)).toBe(true);
    expect(await store.verify(token)).toBeNull();
    const info = (await store.list()).find((t) => t.id === id);
    expect(info?.revokedAt).toBe('2025-01-01T00:00:01.000Z');
  });

  it('says when there is no token to revoke', async () => {
    const store = subject.store(manualClock().now);
    expect(await store.revoke('tok_missing')).toBe(false);
  });

  it('lists newest first without hashes or plaintext, and touch records the last use', async () => {
    const clock = manualClock(Date.parse('2030-01-01T00:00:00.000Z'));
    const store = subject.store(clock.now);
    const a = await store.create({ name: 'list-a', scopes: ['report'] });
    clock.advance(10);
    const b = await store.create({ name: 'list-b', scopes: ['admin'] });
    clock.advance(10);
    await store.touch(a.id);
    await store.touch('tok_missing'); // best-effort: no error

    const listed = (await store.list()).filter((t) => t.name.startsWith('list-'));
    expect(listed.map((t) => t.name)).toEqual(['list-b', 'list-a']);
    expect(listed[1]).toEqual({
      id: a.id,
      name: 'list-a',
      scopes: ['report'],
      createdAt: '2030-01-01T00:00:00.000Z',
      lastUsedAt: '2030-01-01T00:00:00.020Z',
      revokedAt: null,
    });
    const text = JSON.stringify(listed);
    expect(text).not.toContain(a.token);
    expect(text).not.toContain(b.token);
    expect(text).not.toContain(hashToken(a.token));
  });

  it('validates names and scopes with zod', async () => {
    const store = subject.store(manualClock().now);
    await expect(store.create({ name: '', scopes: ['admin'] })).rejects.toThrow();
    await expect(store.create({ name: 'x', scopes: [] })).rejects.toThrow(/at least one scope/);
    // @ts-expect-error -- not a scope
    await expect(store.create({ name: 'x', scopes: ['root'] })).rejects.toThrow();
    await expect(store.create({ name: 'x', scopes: ['runtime:Not_A_Name'] })).rejects.toThrow(
      /runtime:<name>/,
    );
    const { token } = await store.create({ name: 'dup', scopes: ['report', 'report'] });
    expect((await store.verify(token))?.scopes).toEqual(['report']);
  });
});
