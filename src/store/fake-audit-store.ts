import {
  AuditListQuery,
  NewAuditEvent,
  createAuditIdGenerator,
  normalizeSince,
  type AuditEvent,
  type AuditStore,
} from './audit-store.js';

/** In-memory twin of SqlAuditStore; `events` is exposed read-only so tests can assert on what was recorded. */
export class FakeAuditStore implements AuditStore {
  private readonly rows: AuditEvent[] = [];
  private readonly now: () => Date;
  private readonly nextId = createAuditIdGenerator();

  constructor(deps: { now?: () => Date } = {}) {
    this.now = deps.now ?? (() => new Date());
  }

  get events(): readonly AuditEvent[] {
    return this.rows;
  }

  // Validation errors become rejections, as from the SQL store, not synchronous throws.
  record(input: NewAuditEvent): Promise<AuditEvent> {
    return new Promise((resolve) => resolve(this.recordNow(input)));
  }

  list(query: AuditListQuery = {}): Promise<AuditEvent[]> {
    return new Promise((resolve) => resolve(this.listNow(query)));
  }

  private recordNow(input: NewAuditEvent): AuditEvent {
    const e = NewAuditEvent.parse(input);
    const at = this.now();
    const event: AuditEvent = {
      id: this.nextId(at),
      at: at.toISOString(),
      actorTokenId: e.actorTokenId ?? null,
      ...(e.actorUser ? { actorUser: e.actorUser } : {}),
      action: e.action,
      target: e.target ?? null,
      // A JSON round trip, as the SQL store does, so tests see the same values.
      detail: JSON.parse(JSON.stringify(e.detail ?? {})) as Record<string, unknown>,
    };
    this.rows.push(event);
    return structuredClone(event);
  }

  private listNow(query: AuditListQuery): AuditEvent[] {
    const q = AuditListQuery.parse(query);
    const since = normalizeSince(q.since);
    const family = q.action?.endsWith('.*') ? q.action.slice(0, -1) : undefined;
    const out = this.rows
      .filter(
        (e) =>
          (q.action === undefined || (family ? e.action.startsWith(family) : e.action === q.action)) &&
          ((q.actorTokenIds === undefined && q.actorUser === undefined) ||
            (e.actorTokenId !== null && (q.actorTokenIds ?? []).includes(e.actorTokenId)) ||
            (q.actorUser !== undefined &&
              (e.actorUser?.id === q.actorUser || e.actorUser?.name === q.actorUser))) &&
          (since === undefined || e.at >= since) &&
          (q.before === undefined || e.id < q.before),
      )
      .sort((a, b) => cmp(b.id, a.id))
      .slice(0, q.limit)
      .map((e) => structuredClone(e));
    return out;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
