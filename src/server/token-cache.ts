import type { Notifier } from '../store/notify.js';
import {
  hashToken,
  looksLikeToken,
  type CreatedToken,
  type NewToken,
  type Principal,
  type TokenInfo,
  type TokenStore,
} from '../store/token-store.js';

/**
 * Verified API tokens remembered for a moment, per replica (docs/replicas.md): the token check was a
 * database round trip on every request, a third of an image-list request's (issue 12). Keyed by the token's
 * SHA-256, never the token. A revocation here forgets every entry at once and tells the other replicas
 * (`tokens` on the replica channel), which forget theirs when it arrives; the short TTL bounds what a lost
 * notification (or a replica of an older version, which sends none) can cost. Only valid tokens are kept:
 * a wrong one still reaches the store, and the auth slow-down.
 */

export interface TokenCacheOptions {
  /** How long a verification is believed, from when it was asked; at most 1 s (the replicas' promise). */
  ttlMs?: number;
  /** Least recently used entries beyond this are dropped. */
  maxEntries?: number;
  now?: () => number;
  /** Hears other replicas' revocations and announces this one's. */
  notifier?: Pick<Notifier, 'publish' | 'subscribe'>;
}

interface Entry {
  principal: Principal;
  /** When the store was asked: the entry holds no longer than `ttlMs` after that. */
  at: number;
}

const MAX_TOKEN_CACHE_TTL_MS = 1000;

export class CachingTokenStore implements TokenStore {
  private readonly entries = new Map<string, Entry>();
  /** Bumped by every revocation: a verification that was in flight then is not remembered. */
  private generation = 0;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly notifier: TokenCacheOptions['notifier'];
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: TokenStore,
    opts: TokenCacheOptions = {},
  ) {
    this.ttlMs = Math.min(opts.ttlMs ?? MAX_TOKEN_CACHE_TTL_MS, MAX_TOKEN_CACHE_TTL_MS);
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.now = opts.now ?? (() => Date.now());
    this.notifier = opts.notifier;
    // Also called after the listening connection came back, since revocations may have been missed.
    this.unsubscribe =
      opts.notifier?.subscribe((topic) => {
        if (topic === 'tokens') this.forget();
      }) ?? (() => undefined);
  }

  async verify(token: string): Promise<Principal | null> {
    if (!looksLikeToken(token)) return null;
    const key = hashToken(token);
    const at = this.now();
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      if (at - hit.at < this.ttlMs) {
        this.entries.set(key, hit); // most recently used last
        return copy(hit.principal);
      }
    }
    const generation = this.generation;
    const principal = await this.store.verify(token);
    if (principal && generation === this.generation) {
      this.entries.set(key, { principal: copy(principal), at });
      for (const oldest of this.entries.keys()) {
        if (this.entries.size <= this.maxEntries) break;
        this.entries.delete(oldest);
      }
    }
    return principal;
  }

  async revoke(id: string): Promise<boolean> {
    try {
      return await this.store.revoke(id);
    } finally {
      // Even when the answer was lost: the revocation may have been committed.
      this.forget();
      this.notifier?.publish('tokens');
    }
  }

  create(input: NewToken, preset?: string): Promise<CreatedToken> {
    return this.store.create(input, preset);
  }

  list(): Promise<TokenInfo[]> {
    return this.store.list();
  }

  touch(id: string): Promise<void> {
    return this.store.touch(id);
  }

  /** Stops hearing other replicas; what is remembered is forgotten. */
  close(): void {
    this.unsubscribe();
    this.forget();
  }

  private forget(): void {
    this.generation++;
    this.entries.clear();
  }
}

/** Callers get their own copy, so none can change what the next request is told. */
function copy(p: Principal): Principal {
  return { ...p, scopes: [...p.scopes] };
}
