import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import {
  AuditListQuery,
  NewAuditEvent,
  createAuditIdGenerator,
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
        action: event.action,
        target: event.target,
        detail: JSON.stringify(event.detail),
      })
      .execute();
    return event;
  }

  async list(query: AuditListQuery = {}): Promise<AuditEvent[]> {
    const { limit } = AuditListQuery.parse(query);
    const rows = await this.db
      .selectFrom('audit_events')
      .selectAll()
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      actorTokenId: r.actor_token_id,
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
