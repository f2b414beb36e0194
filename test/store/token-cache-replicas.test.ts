import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CachingTokenStore } from '../../src/server/token-cache.js';
import { openDatabase } from '../../src/store/database.js';
import { createNotifier, type Topic } from '../../src/store/notify.js';
import { SqlTokenStore } from '../../src/store/sql-token-store.js';
import { eachDatabase, useTestDatabase } from '../helpers/databases.js';

// The verified-token cache (src/server/token-cache.ts) over the real token store: a revocation is refused at
// once by the replica that made it and, on PostgreSQL, by another replica as soon as the NOTIFY arrives.
// Both caches run on a clock that never moves, so only a revocation (never the TTL) can make them ask again.

/** Polls until `fn` returns true or the deadline passes, then asserts (no wall-clock limit on speed). */
async function eventually(fn: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn()) && Date.now() < deadline) await sleep(20);
  expect(await fn()).toBe(true);
}

const frozen = () => 0;

describe.each(eachDatabase())('a revoked token with the token cache on %s', (engine) => {
  const database = useTestDatabase(engine);

  it('is refused at once by the replica that revoked it, though it had just verified it', async () => {
    const { url, db } = database();
    const notifier = createNotifier({ db, databaseUrl: url });
    const tokens = new CachingTokenStore(new SqlTokenStore({ db }), { now: frozen, notifier });
    try {
      const { id, token } = await tokens.create({ name: 'ci', scopes: ['report'] });
      expect(await tokens.verify(token)).toMatchObject({ id, scopes: ['report'] });
      expect(await tokens.revoke(id)).toBe(true);
      expect(await tokens.verify(token)).toBeNull();
    } finally {
      tokens.close();
      await notifier.close();
    }
  });

  if (engine === 'postgres') {
    it('is refused by another replica once the NOTIFY arrives, though that one had it cached', async () => {
      const { url, db } = database();
      const other = openDatabase(url, { poolMax: 2 });
      const na = createNotifier({ db, databaseUrl: url });
      const nb = createNotifier({ db: other.db, databaseUrl: url });
      const a = new CachingTokenStore(new SqlTokenStore({ db }), { now: frozen, notifier: na });
      const b = new CachingTokenStore(new SqlTokenStore({ db: other.db }), { now: frozen, notifier: nb });
      try {
        // LISTEN is asynchronous: make sure B hears A before the revocation.
        const heard: Topic[] = [];
        nb.subscribe((t) => heard.push(t));
        await eventually(() => {
          if (!heard.includes('config')) na.publish('config');
          return Promise.resolve(heard.includes('config'));
        });
        const { id, token } = await a.create({ name: 'ci', scopes: ['report'] });
        expect(await b.verify(token)).not.toBeNull();
        // Revoked in the database behind B's back: B's cache still answers (the frozen clock).
        await new SqlTokenStore({ db }).revoke(id);
        expect(await b.verify(token)).not.toBeNull();

        const { id: id2, token: token2 } = await a.create({ name: 'ci-2', scopes: ['report'] });
        expect(await b.verify(token2)).not.toBeNull();
        expect(await a.revoke(id2)).toBe(true);
        expect(await a.verify(token2)).toBeNull();
        await eventually(async () => (await b.verify(token2)) === null);
        expect(heard).toContain('tokens');
        expect(await b.verify(token)).toBeNull();
      } finally {
        a.close();
        b.close();
        await Promise.all([na.close(), nb.close()]);
        await other.close();
      }
    });
  }
});
