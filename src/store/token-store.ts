import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { ResourceName } from '../domain/names.js';

/**
 * The API-token port: the SQL store (`sql-token-store.ts`) and the in-memory fake
 * (`fake-token-store.ts`) both implement it and share the hashing and validation below.
 */

/**
 * `admin` implies every scope; `report` may report images; `runtime:<name>` acts as that runtime;
 * `metrics` may only scrape `/metrics` (a Prometheus server's token); `viewer` may read images, reports,
 * runtimes and integrations and change nothing.
 */
export const Scope = z.union([
  z.literal('admin'),
  z.literal('report'),
  z.literal('metrics'),
  z.literal('viewer'),
  z
    .templateLiteral(['runtime:', z.string()])
    .refine((s) => ResourceName.safeParse(s.slice('runtime:'.length)).success, {
      message: 'runtime scopes are runtime:<name> with a runtime name such as runtime:local',
    }),
]);
export type Scope = z.infer<typeof Scope>;

export const Scopes = z.array(Scope).min(1, 'a token needs at least one scope').max(64);

export const NewToken = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(200),
  scopes: Scopes,
});
export type NewToken = z.infer<typeof NewToken>;

export interface CreatedToken {
  id: string;
  /** The plaintext token. Shown once; only its hash is kept. */
  token: string;
}

export interface Principal {
  id: string;
  name: string;
  scopes: Scope[];
}

/** `admin` implies every scope. */
export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.includes('admin') || principal.scopes.includes(scope);
}

export interface TokenInfo extends Principal {
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface TokenStore {
  /** `preset`: the plaintext to store instead of a fresh one (the first admin token from a shared Secret). */
  create(input: NewToken, preset?: string): Promise<CreatedToken>;
  /** The principal of a valid, unrevoked token, or null. Never throws for a malformed token. */
  verify(token: string): Promise<Principal | null>;
  /** All tokens, newest first, without hashes. */
  list(): Promise<TokenInfo[]>;
  /**
   * Marks the token revoked. False if there is no token with that id (the route decides whether that is a
   * 404); revoking twice is true and keeps the first revocation time.
   */
  revoke(id: string): Promise<boolean>;
  /** Records a use; cheap and best-effort. */
  touch(id: string): Promise<void>;
}

export const TOKEN_PREFIX = 'it_';
/** 32 random bytes in base64url are 43 characters. */
const TOKEN_PATTERN = /^it_[A-Za-z0-9_-]{43}$/;

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Cheap shape check before any hashing or lookup, so garbage never reaches the database. */
export function looksLikeToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

/**
 * The lookup is by hash (an index hit that reveals nothing useful about the plaintext); this compares the
 * stored hash with the computed one in constant time anyway, so no code path depends on a byte-wise compare.
 */
export function hashesEqual(storedHex: string, computedHex: string): boolean {
  const a = Buffer.from(storedHex, 'hex');
  const b = Buffer.from(computedHex, 'hex');
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

export function newTokenId(): string {
  return `tok_${randomBytes(12).toString('base64url')}`;
}
