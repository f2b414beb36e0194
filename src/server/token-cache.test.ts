import { describe, expect, it } from 'vitest';
import { FakeTokenStore } from '../store/fake-token-store.js';
import type { Topic } from '../store/notify.js';
import { hashToken, type Principal, type TokenStore } from '../store/token-store.js';
import { CachingTokenStore } from './token-cache.js';

/** The fake store, counting the verifications that reach it. */
function counted(): { store: TokenStore; asked: () => number; inner: FakeTokenStore } {
  const inner = new FakeTokenStore();
  let n = 0;
  const store: TokenStore = {
    create: (i, p) => inner.create(i, p),
    list: () => inner.list(),
    revoke: (id) => inner.revoke(id),
    touch: (id) => inner.touch(id),
    verify: (t) => {
      n++;
      return inner.verify(t);
    },
  };
  return { store, asked: () => n, inner };
}

/** A replica channel: what this replica published, and a way to deliver another replica's event. */
function channel() {
  const published: Topic[] = [];
  const subscribers = new Set<(topic: Topic) => void>();
  return {
    published,
    notifier: {
      publish: (t: Topic) => void published.push(t),
      subscribe: (fn: (topic: Topic) => void) => {
        subscribers.add(fn);
        return () => void subscribers.delete(fn);
      },
    },
    fromOtherReplica: (t: Topic) => subscribers.forEach((fn) => fn(t)),
    listeners: () => subscribers.size,
  };
}

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('the verified-token cache', () => {
  it('answers a token it verified less than its TTL ago from memory, then asks the store again', async () => {
    const { store, asked } = counted();
    const c = clock();
    const cache = new CachingTokenStore(store, { ttlMs: 500, now: c.now });
    const { token } = await cache.create({ name: 'ci', scopes: ['report'] });
    const first = await cache.verify(token);
    expect(first).toMatchObject({ name: 'ci', scopes: ['report'] });
    c.advance(499);
    expect(await cache.verify(token)).toEqual(first);
    expect(asked()).toBe(1);
    c.advance(1);
    expect(await cache.verify(token)).toEqual(first);
    expect(asked()).toBe(2);
  });

  it('believes a verification for at most one second, whatever it is configured with', async () => {
    const { store, asked } = counted();
    const c = clock();
    const cache = new CachingTokenStore(store, { ttlMs: 60_000, now: c.now });
    const { token } = await cache.create({ name: 'ci', scopes: ['report'] });
    await cache.verify(token);
    c.advance(1000);
    await cache.verify(token);
    expect(asked()).toBe(2);
  });

  it('refuses a token revoked through this replica at once, and tells the other replicas', async () => {
    const { store } = counted();
    const ch = channel();
    const cache = new CachingTokenStore(store, { now: clock().now, notifier: ch.notifier });
    const { id, token } = await cache.create({ name: 'ci', scopes: ['report'] });
    expect(await cache.verify(token)).not.toBeNull();
    expect(await cache.revoke(id)).toBe(true);
    expect(await cache.verify(token)).toBeNull();
    expect(ch.published).toEqual(['tokens']);
  });

  it('forgets what it verified when another replica revokes a token (or the channel reconnected)', async () => {
    const { store, inner } = counted();
    const ch = channel();
    const cache = new CachingTokenStore(store, { now: clock().now, notifier: ch.notifier });
    const { id, token } = await cache.create({ name: 'ci', scopes: ['report'] });
    expect(await cache.verify(token)).not.toBeNull();
    await inner.revoke(id); // through the database, by another replica
    ch.fromOtherReplica('config');
    expect(await cache.verify(token)).not.toBeNull(); // not told yet: the TTL bounds this
    ch.fromOtherReplica('tokens');
    expect(await cache.verify(token)).toBeNull();
    cache.close();
    expect(ch.listeners()).toBe(0);
  });

  it('does not remember a verification that was in flight while a token was revoked', async () => {
    const inner = new FakeTokenStore();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const slow: TokenStore = Object.assign(Object.create(inner) as FakeTokenStore, {
      verify: async (t: string) => {
        const p = await inner.verify(t);
        await gate; // read before the revocation, answered after it
        return p;
      },
    });
    const cache = new CachingTokenStore(slow, { now: clock().now });
    const { id, token } = await inner.create({ name: 'ci', scopes: ['report'] });
    const inFlight = cache.verify(token);
    await cache.revoke(id);
    release();
    expect(await inFlight).not.toBeNull(); // the answer of its moment…
    expect(await cache.verify(token)).toBeNull(); // …but not remembered past the revocation
  });

  it('keeps at most maxEntries tokens, dropping the least recently used', async () => {
    const { store, asked } = counted();
    const cache = new CachingTokenStore(store, { now: clock().now, maxEntries: 2 });
    const tokens: string[] = [];
    for (const name of ['a', 'b', 'c']) tokens.push((await cache.create({ name, scopes: ['report'] })).token);
    const [a, b, c] = tokens as [string, string, string];
    await cache.verify(a);
    await cache.verify(b);
    await cache.verify(a); // a is now the most recently used
    await cache.verify(c); // drops b
    expect(asked()).toBe(3);
    await cache.verify(a);
    await cache.verify(c);
    expect(asked()).toBe(3);
    await cache.verify(b);
    expect(asked()).toBe(4);
  });

  it('keeps only valid tokens, under their hash, and hands out copies', async () => {
    const { store, asked } = counted();
    const cache = new CachingTokenStore(store, { now: clock().now });
    const wrong = `it_${'A'.repeat(43)}`;
    expect(await cache.verify(wrong)).toBeNull();
    expect(await cache.verify(wrong)).toBeNull();
    expect(asked()).toBe(2);
    expect(await cache.verify('not a token')).toBeNull();
    expect(asked()).toBe(2);

    const { token } = await cache.create({ name: 'ci', scopes: ['report'] });
    const p = (await cache.verify(token)) as Principal;
    p.scopes.push('admin');
    expect((await cache.verify(token))?.scopes).toEqual(['report']);
    const keys = [...(cache as unknown as { entries: Map<string, unknown> }).entries.keys()];
    expect(keys).toEqual([hashToken(token)]);
  });
});
