import type { Kysely, Selectable } from 'kysely';
import { InputError } from '../domain/errors.js';
import type { ApiTokensTable, Database } from './schema.js';
import {
  NewToken,
  Scope,
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

export interface SqlTokenStoreDeps {
  db: Kysely<Database>;
  /** Injected so tests control timestamps. */
  now?: () => Date;
}

export class SqlTokenStore implements TokenStore {
  private readonly db: Kysely<Database>;
  private readonly now: () => Date;

  constructor(deps: SqlTokenStoreDeps) {
    this.db = deps.db;
    this.now = deps.now ?? (() => new Date());
  }

  async create(input: NewToken, preset?: string): Promise<CreatedToken> {
    const { name, scopes } = NewToken.parse(input);
    const id = newTokenId();
    if (preset !== undefined && !looksLikeToken(preset)) throw new InputError('not an imagetrail token');
    const token = preset ?? generateToken();
    await this.db
      .insertInto('api_tokens')
      .values({
        id,
        name,
        token_hash: hashToken(token),
        scopes: JSON.stringify([...new Set(scopes)]),
        created_at: this.now().toISOString(),
        last_used_at: null,
        revoked_at: null,
      })
      .execute();
    return { id, token };
  }

  async verify(token: string): Promise<Principal | null> {
    if (!looksLikeToken(token)) return null;
    const hash = hashToken(token);
    const row = await this.db
      .selectFrom('api_tokens')
      .select(['id', 'name', 'scopes', 'token_hash', 'revoked_at'])
      .where('token_hash', '=', hash)
      .executeTakeFirst();
    if (!row || !hashesEqual(row.token_hash, hash) || row.revoked_at !== null) return null;
    return { id: row.id, name: row.name, scopes: parseScopes(row.scopes) };
  }

  async list(): Promise<TokenInfo[]> {
    const rows = await this.db
      .selectFrom('api_tokens')
      .select(['id', 'name', 'scopes', 'created_at', 'last_used_at', 'revoked_at'])
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .execute();
    return rows.map(toInfo);
  }

  async revoke(id: string): Promise<boolean> {
    // Keeps the first revocation time when revoked twice.
    const res = await this.db
      .updateTable('api_tokens')
      .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(this.now().toISOString())) }))
      .where('id', '=', id)
      .executeTakeFirst();
    return res.numUpdatedRows > 0n;
  }

  async touch(id: string): Promise<void> {
    await this.db
      .updateTable('api_tokens')
      .set({ last_used_at: this.now().toISOString() })
      .where('id', '=', id)
      .execute();
  }
}

/**
 * Scopes written by a newer version may be unknown here; dropping them only ever narrows what the token may
 * do, which is the safe direction.
 */
export function parseScopes(json: string): Scope[] {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((s: unknown) => {
    const parsed = Scope.safeParse(s);
    return parsed.success ? [parsed.data] : [];
  });
}

function toInfo(row: Omit<Selectable<ApiTokensTable>, 'token_hash'>): TokenInfo {
  return {
    id: row.id,
    name: row.name,
    scopes: parseScopes(row.scopes),
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}
