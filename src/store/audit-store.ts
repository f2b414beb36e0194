import { randomBytes } from 'node:crypto';
import * as z from 'zod';

/** The audit-trail port: `sql-audit-store.ts` (Kysely) and `fake-audit-store.ts` (in-memory). */

const JsonObject = z.record(z.string(), z.unknown());

export const NewAuditEvent = z.object({
  /** The API token that acted; null/absent for the server itself. */
  actorTokenId: z.string().min(1).nullish(),
  /** A person signed in through SSO (no token): `sso:<subject>` and the name the provider gave. */
  actorUser: z.object({ id: z.string().min(1).max(600), name: z.string().max(300) }).nullish(),
  /** Dotted verb, e.g. `token.create`, `integration.delete`. */
  action: z
    .string()
    .regex(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$/, 'must be a dotted lowercase verb such as token.create')
    .max(100),
  target: z.string().max(500).nullish(),
  /** Never put secrets here; the caller passes what it would show a user. */
  detail: JsonObject.optional(),
});
export type NewAuditEvent = z.input<typeof NewAuditEvent>;

export interface AuditEvent {
  id: string;
  at: string;
  actorTokenId: string | null;
  /** Present only when a person signed in through SSO acted. */
  actorUser?: { id: string; name: string };
  action: string;
  target: string | null;
  detail: Record<string, unknown>;
}

/** An event id, as `createAuditIdGenerator` makes them: also the paging cursor. */
export const AuditEventId = z
  .string()
  .regex(/^[0-9]{15}-[0-9]{6}-[0-9a-f]{12}$/, 'must be an audit event id');

/** One action (`token.create`) or a family of them (`integration.*`). */
export const AuditActionFilter = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*(\.\*)?$/,
    'must be an action such as token.create, or a family such as integration.*',
  )
  .max(100);

export const AuditListQuery = z.object({
  // One more than the API's largest page (1000): the route asks for one extra row to know a next page exists.
  limit: z.number().int().min(1).max(1001).default(100),
  /** Only this action, or every action under it when it ends in `.*` (`integration.*`). */
  action: AuditActionFilter.optional(),
  /** Only events by these tokens (empty: none match); absent: every actor, the server included. */
  actorTokenIds: z.array(z.string().min(1)).optional(),
  /** Also (OR) events by this SSO user, matched by id (`sso:<subject>`) or name. */
  actorUser: z.string().min(1).max(600).optional(),
  /** Only events at or after this instant (ISO 8601). */
  since: z.iso.datetime({ offset: true }).optional(),
  /** Only events older than this one: the `id` of the last event of the previous page. */
  before: AuditEventId.optional(),
});
export type AuditListQuery = z.input<typeof AuditListQuery>;

/** `since` as stored (`Date#toISOString`), so that text comparison orders instants. */
export function normalizeSince(since: string | undefined): string | undefined {
  return since === undefined ? undefined : new Date(since).toISOString();
}

export interface AuditStore {
  record(event: NewAuditEvent): Promise<AuditEvent>;
  /** Newest first (by id, whose prefix is the time), at most `limit` (default 100, max 1001), filtered. */
  list(query?: AuditListQuery): Promise<AuditEvent[]>;
}

/**
 * Ids that sort in recording order within one store instance (time, then a per-instance counter), so the
 * newest-first list is stable when several events share a millisecond. Digits and lowercase hex only, so
 * every collation orders them the same way.
 */
export function createAuditIdGenerator(): (at: Date) => string {
  let seq = 0;
  return (at) => {
    seq = (seq + 1) % 1_000_000;
    return `${String(at.getTime()).padStart(15, '0')}-${String(seq).padStart(6, '0')}-${randomBytes(6).toString('hex')}`;
  };
}
