import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import {
  AuditListQuery,
  NewAuditEvent,
  createAuditIdGenerator,
  normalizeSince,
  type AuditEvent,
  type AuditStore,
} from './audit-store.js';

export class SqlAuditStore implements AuditStore {
  private readonly db: Kysely<Database>;
  private readonly now: () => Date;
  private readonly nextId = createAuditIdGenerator();

  constructor(deps: { db: Kysely<Database>; now?: () => Date }) {
    this.db = deps.db;
    this.now = deps.now ?? (() => new Date());
  }

  async record(input: NewAuditEvent): Promise<AuditEvent> {
    const e = NewAuditEvent.parse(input);
    const at = this.now();
    const event: AuditEvent = {
      id: this.nextId(at),
      at: at.toISOString(),
      actorTokenId: e.actorTokenId ?? null,
      ...(e.actorUser ? { actorUser: e.actorUser } : {}),
      action: e.action,
      target: e.target ?? null,
      detail: e.detail ?? {},
    };
    await this.db
      .insertInto('audit_events')
      .values({
        id: event.id,
        at: event.at,
        actor_token_id: event.actorTokenId,
        actor_user_id: event.actorUser?.id ?? null,
        actor_user_name: event.actorUser?.name ?? null,
        action: event.action,
        target: event.target,
        detail: JSON.stringify(event.detail),
      })
      .execute();
    return event;
  }

  async list(query: AuditListQuery = {}): Promise<AuditEvent[]> {
    const q = AuditListQuery.parse(query);
    if (q.actorTokenIds?.length === 0 && q.actorUser === undefined) return [];
    let select = this.db.selectFrom('audit_events').selectAll();
    if (q.action?.endsWith('.*')) {
      // The action grammar has no `%` or `_`, so the prefix is literal in LIKE.
      select = select.where('action', 'like', `${q.action.slice(0, -1)}%`);
    } else if (q.action) select = select.where('action', '=', q.action);
    const { actorTokenIds: ids, actorUser: user } = q;
    if (user !== undefined) {
      select = select.where((eb) =>
        eb.or([
          ...(ids?.length ? [eb('actor_token_id', 'in', ids)] : []),
          eb('actor_user_id', '=', user),
          eb('actor_user_name', '=', user),
        ]),
      );
    } else if (ids) select = select.where('actor_token_id', 'in', ids);
    const since = normalizeSince(q.since);
    if (since) select = select.where('at', '>=', since);
    if (q.before) select = select.where('id', '<', q.before);
    // Ids start with the event's time, so id order is time order and a stable cursor at once.
    const rows = await select.orderBy('id', 'desc').limit(q.limit).execute();
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      actorTokenId: r.actor_token_id,
      ...(r.actor_user_id ? { actorUser: { id: r.actor_user_id, name: r.actor_user_name ?? '' } } : {}),
      action: r.action,
      target: r.target,
      detail: parseDetail(r.detail),
    }));
  }
}

function parseDetail(json: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(json);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
