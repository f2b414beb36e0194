import {
  NewToken,
  generateToken,
  hashToken,
  hashesEqual,
  looksLikeToken,
  newTokenId,
  type CreatedToken,
  type Principal,
  type TokenInfo,
  type TokenStore,
} from './token-store.js';

interface FakeRow extends TokenInfo {
  hash: string;
}

/** In-memory twin of SqlTokenStore for unit tests of services and routes; same validation, same contract. */
export class FakeTokenStore implements TokenStore {
  private readonly rows = new Map<string, FakeRow>();
  private readonly now: () => Date;

  constructor(deps: { now?: () => Date } = {}) {
    this.now = deps.now ?? (() => new Date());
  }

  create(input: NewToken, preset?: string): Promise<CreatedToken> {
    // A validation error becomes a rejection, as from the SQL store, not a synchronous throw.
    return new Promise((resolve) => resolve(this.createNow(input, preset)));
  }

  private createNow(input: NewToken, preset?: string): CreatedToken {
    const { name, scopes } = NewToken.parse(input);
    const id = newTokenId();
    if (preset !== undefined && !looksLikeToken(preset)) throw new Error('not an imagetrail token');
    const token = preset ?? generateToken();
    this.rows.set(id, {
      id,
      name,
      scopes: [...new Set(scopes)],
      hash: hashToken(token),
      createdAt: this.now().toISOString(),
      lastUsedAt: null,
      revokedAt: null,
    });
    return { id, token };
  }

  verify(token: string): Promise<Principal | null> {
    if (!looksLikeToken(token)) return Promise.resolve(null);
    const hash = hashToken(token);
    for (const row of this.rows.values()) {
      if (hashesEqual(row.hash, hash)) {
        return Promise.resolve(
          row.revokedAt === null ? { id: row.id, name: row.name, scopes: [...row.scopes] } : null,
        );
      }
    }
    return Promise.resolve(null);
  }

  list(): Promise<TokenInfo[]> {
    const out = [...this.rows.values()]
      .map(({ hash: _hash, ...info }) => ({ ...info, scopes: [...info.scopes] }))
      .sort((a, b) =>
        a.createdAt === b.createdAt ? a.id.localeCompare(b.id) : a.createdAt < b.createdAt ? 1 : -1,
      );
    return Promise.resolve(out);
  }

  revoke(id: string): Promise<boolean> {
    const row = this.rows.get(id);
    if (!row) return Promise.resolve(false);
    row.revokedAt ??= this.now().toISOString();
    return Promise.resolve(true);
  }

  touch(id: string): Promise<void> {
    const row = this.rows.get(id);
    if (row) row.lastUsedAt = this.now().toISOString();
    return Promise.resolve();
  }
}
