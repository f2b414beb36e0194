import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import * as z from 'zod';
import type { Database } from './schema.js';
import { Scope, hashesEqual } from './token-store.js';

/**
 * Dashboard single sign-on state, shared by every replica through the store: pending sign-ins (state,
 * nonce, PKCE verifier, until the provider sends the browser back) and sessions. The browser holds random
 * ids in HttpOnly cookies; the store keeps only their SHA-256, so a database dump signs nobody in.
 */

export interface PendingLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** A dashboard path (`/images/…`) to land on after the sign-in. */
  returnTo: string;
}

export const NewSsoSession = z.object({
  /** The provider's `sub`, prefixed with nothing: the issuer is fixed per server. */
  subject: z.string().min(1).max(255),
  name: z.string().min(1).max(300),
  scopes: z.array(Scope).min(1).max(8),
});
export type NewSsoSession = z.infer<typeof NewSsoSession>;

export interface SsoSession extends NewSsoSession {
  expiresAt: string;
  /** SHA-256 (hex) of the session's CSRF token; compare with `csrfMatches`. */
  csrfHash: string;
}

export interface CreatedSsoSession {
  /** Cookie value; only its hash is stored. */
  id: string;
  /** The synchronizer token the dashboard sends as `X-CSRF-Token` on every mutation. */
  csrfToken: string;
  expiresAt: string;
}

export interface SsoSessionStore {
  /** Records a pending sign-in; returns the random id for the browser's sign-in cookie. */
  createLogin(login: PendingLogin, ttlMs: number): Promise<string>;
  /** Removes and returns the pending sign-in (single use); null if unknown or expired. */
  takeLogin(id: string): Promise<PendingLogin | null>;
  createSession(session: NewSsoSession, ttlMs: number): Promise<CreatedSsoSession>;
  /** The live session for a cookie value, or null (unknown, malformed or expired). */
  findSession(id: string): Promise<SsoSession | null>;
  deleteSession(id: string): Promise<void>;
  /** Deletes expired sessions and sign-ins; returns how many rows went. */
  prune(): Promise<number>;
}

/** 32 random bytes, base64url: 43 characters. */
const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newSecretId(): string {
  return randomBytes(32).toString('base64url');
}

export function hashId(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('hex');
}

/** Constant-time check of a presented CSRF token against the session's stored hash. */
export function csrfMatches(session: Pick<SsoSession, 'csrfHash'>, presented: string | undefined): boolean {
  if (!presented || !ID_PATTERN.test(presented)) return false;
  return hashesEqual(session.csrfHash, hashId(presented));
}

export class SqlSsoSessionStore implements SsoSessionStore {
  private readonly db: Kysely<Database>;
  private readonly now: () => Date;

  constructor(deps: { db: Kysely<Database>; now?: () => Date }) {
    this.db = deps.db;
    this.now = deps.now ?? (() => new Date());
  }

  private expiry(ttlMs: number): string {
    return new Date(this.now().getTime() + ttlMs).toISOString();
  }

  async createLogin(login: PendingLogin, ttlMs: number): Promise<string> {
    const id = newSecretId();
    await this.db
      .insertInto('sso_logins')
      .values({
        id_hash: hashId(id),
        state: login.state,
        nonce: login.nonce,
        code_verifier: login.codeVerifier,
        return_to: login.returnTo,
        expires_at: this.expiry(ttlMs),
      })
      .execute();
    return id;
  }

  async takeLogin(id: string): Promise<PendingLogin | null> {
    if (!ID_PATTERN.test(id)) return null;
    // Delete-returning is atomic on both engines: two callbacks with one cookie cannot both succeed.
    const row = await this.db
      .deleteFrom('sso_logins')
      .where('id_hash', '=', hashId(id))
      .returningAll()
      .executeTakeFirst();
    if (!row || row.expires_at <= this.now().toISOString()) return null;
    return { state: row.state, nonce: row.nonce, codeVerifier: row.code_verifier, returnTo: row.return_to };
  }

  async createSession(input: NewSsoSession, ttlMs: number): Promise<CreatedSsoSession> {
    const s = NewSsoSession.parse(input);
    const id = newSecretId();
    const csrfToken = newSecretId();
    const expiresAt = this.expiry(ttlMs);
    await this.db
      .insertInto('sso_sessions')
      .values({
        id_hash: hashId(id),
        csrf_hash: hashId(csrfToken),
        subject: s.subject,
        name: s.name,
        scopes: JSON.stringify(s.scopes),
        created_at: this.now().toISOString(),
        expires_at: expiresAt,
      })
      .execute();
    return { id, csrfToken, expiresAt };
  }

  async findSession(id: string): Promise<SsoSession | null> {
    if (!ID_PATTERN.test(id)) return null;
    const row = await this.db
      .selectFrom('sso_sessions')
      .selectAll()
      .where('id_hash', '=', hashId(id))
      .executeTakeFirst();
    if (!row || row.expires_at <= this.now().toISOString()) return null;
    const scopes = z.array(Scope).safeParse(JSON.parse(row.scopes));
    if (!scopes.success) return null;
    return {
      subject: row.subject,
      name: row.name,
      scopes: scopes.data,
      expiresAt: row.expires_at,
      csrfHash: row.csrf_hash,
    };
  }

  async deleteSession(id: string): Promise<void> {
    if (!ID_PATTERN.test(id)) return;
    await this.db.deleteFrom('sso_sessions').where('id_hash', '=', hashId(id)).execute();
  }

  async prune(): Promise<number> {
    const now = this.now().toISOString();
    const a = await this.db.deleteFrom('sso_sessions').where('expires_at', '<=', now).executeTakeFirst();
    const b = await this.db.deleteFrom('sso_logins').where('expires_at', '<=', now).executeTakeFirst();
    return Number(a.numDeletedRows) + Number(b.numDeletedRows);
  }
}
