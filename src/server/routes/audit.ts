import { Hono, type Context } from 'hono';
import type { AuditPage } from '../../contract/admin-answers.js';
import * as z from 'zod';
import { parseInput } from '../../domain/parse.js';
import {
  AuditActionFilter,
  AuditEventId,
  type AuditEvent,
  type AuditStore,
} from '../../store/audit-store.js';
import type { TokenInfo } from '../../store/token-store.js';
import type { AppDeps, AppEnv } from '../app.js';
import type { AuthEnv } from '../auth.js';

/** `GET /api/v1/audit`'s query string; each filter is optional and they combine with AND. */
export const AuditQuery = z
  .object({
    action: AuditActionFilter.optional(),
    /** A token's id or name (a name matches every token ever given it), or an SSO user's id or name. */
    actor: z.string().min(1).max(200).optional(),
    since: z.iso
      .datetime({ offset: true, error: 'since must be an ISO 8601 time such as 2030-01-31T00:00:00Z' })
      .optional(),
    cursor: AuditEventId.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

/** One audit event as the API shows it: the actor is named, not just an id. */
export interface AuditItem extends Omit<AuditEvent, 'actorTokenId' | 'actorUser'> {
  actor: { id: string; name: string } | null;
}

export function auditRoutes(deps: Pick<AppDeps, 'audit' | 'tokens'>): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.get('/', async (c) => {
    const q = parseInput(AuditQuery, c.req.query(), 'audit query');
    const tokens = await deps.tokens.list();
    const actorTokenIds = q.actor
      ? tokens.filter((t) => t.id === q.actor || t.name === q.actor).map((t) => t.id)
      : undefined;
    // One more than asked for says whether there is a next page without a second query.
    const events = await deps.audit.list({
      limit: q.limit + 1,
      ...(q.action ? { action: q.action } : {}),
      ...(actorTokenIds ? { actorTokenIds } : {}),
      // A person signed in through SSO: `sso:<subject>` or the name the provider gave.
      ...(q.actor ? { actorUser: q.actor } : {}),
      ...(q.since ? { since: q.since } : {}),
      ...(q.cursor ? { before: q.cursor } : {}),
    });
    const page = events.slice(0, q.limit);
    const names = new Map(tokens.map((t: TokenInfo) => [t.id, t.name]));
    const items: AuditItem[] = page.map(({ actorTokenId, actorUser, ...e }) => ({
      ...e,
      actor: actorTokenId
        ? { id: actorTokenId, name: names.get(actorTokenId) ?? '(deleted token)' }
        : (actorUser ?? null),
    }));
    const nextCursor = events.length > q.limit ? (page.at(-1)?.id ?? null) : null;
    return c.json({ items, nextCursor } satisfies z.input<typeof AuditPage>);
  });
  return r;
}

/** Records what an authenticated API caller did; the detail must hold nothing secret. */
export async function recordAudit(
  audit: AuditStore,
  c: Context<AuthEnv>,
  action: string,
  target: string | null,
  detail: Record<string, unknown> = {},
): Promise<void> {
  // A person signed in through SSO has no token row to point at; the event names them instead.
  const user = c.get('ssoUser');
  await audit.record({
    ...(user ? { actorUser: user } : { actorTokenId: c.get('principal').id }),
    action,
    target,
    detail,
  });
}
