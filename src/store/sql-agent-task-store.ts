import { PostgresIntrospector, type Kysely } from 'kysely';
import type {
  AgentTask,
  AgentTaskKind,
  AgentTaskStat,
  AgentTaskState,
  AgentTaskStatus,
  AgentTaskStore,
  ClaimedTask,
  NewAgentTask,
} from './agent-task-store.js';
import { TASK_RETENTION_MS } from './agent-task-store.js';
import type { Database } from './schema.js';
import { createSortableIdGenerator } from './sortable-id.js';

/** Agent tasks in SQLite or PostgreSQL; every replica of a control plane sees the same queue. */
export class SqlAgentTaskStore implements AgentTaskStore {
  private readonly db: Kysely<Database>;
  private readonly now: () => Date;
  private readonly pg: boolean;
  private readonly nextId = createSortableIdGenerator('task_');

  constructor(deps: { db: Kysely<Database>; now?: () => Date }) {
    this.db = deps.db;
    this.pg = deps.db.introspection instanceof PostgresIntrospector;
    this.now = deps.now ?? (() => new Date());
  }

  async enqueue(task: NewAgentTask): Promise<AgentTask> {
    const now = this.now();
    const row = {
      id: this.nextId(now),
      runtime: task.runtime,
      kind: task.kind,
      payload: JSON.stringify(task.payload),
      status: 'queued',
      owner: null,
      lease_until: null,
      attempts: 0,
      result: null,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + task.ttlMs).toISOString(),
    };
    // Old tasks go as new ones come: no separate sweeper for a table this small.
    await this.db
      .deleteFrom('agent_tasks')
      .where('expires_at', '<', new Date(now.getTime() - TASK_RETENTION_MS).toISOString())
      .execute();
    await this.db.insertInto('agent_tasks').values(row).execute();
    return {
      id: row.id,
      runtime: row.runtime,
      kind: task.kind,
      payload: task.payload,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
    };
  }

  async claim(opts: { runtime: string; owner: string; leaseMs: number }): Promise<ClaimedTask | null> {
    const now = this.now();
    const at = now.toISOString();
    const until = new Date(now.getTime() + opts.leaseMs).toISOString();
    const pg = this.pg;
    // One statement picks and takes (see SqlReportStore.claim): SKIP LOCKED on PostgreSQL, the write lock
    // on SQLite; the conditions are repeated outside the subquery for PostgreSQL's re-check after a wait.
    const row = await this.db
      .updateTable('agent_tasks')
      .set((eb) => ({
        status: 'running',
        owner: opts.owner,
        lease_until: until,
        attempts: eb('attempts', '+', 1),
      }))
      .where('runtime', '=', opts.runtime)
      .where('expires_at', '>', at)
      .where((eb) =>
        eb.or([
          eb('status', '=', 'queued'),
          eb.and([eb('status', '=', 'running'), eb('lease_until', '<=', at)]),
        ]),
      )
      .where('id', '=', (eb) =>
        eb
          .selectFrom('agent_tasks')
          .select('id')
          .where('runtime', '=', opts.runtime)
          .where('expires_at', '>', at)
          .where((w) =>
            w.or([
              w('status', '=', 'queued'),
              w.and([w('status', '=', 'running'), w('lease_until', '<=', at)]),
            ]),
          )
          .orderBy('created_at')
          .orderBy('id')
          .limit(1)
          .$if(pg, (qb) => qb.forUpdate().skipLocked()),
      )
      .returning(['id', 'runtime', 'kind', 'payload', 'created_at', 'expires_at', 'attempts', 'lease_until'])
      .executeTakeFirst();
    if (!row) return null;
    return {
      id: row.id,
      runtime: row.runtime,
      kind: row.kind as AgentTaskKind,
      payload: JSON.parse(row.payload) as Record<string, unknown>,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      attempt: row.attempts,
      leaseUntil: row.lease_until ?? until,
    };
  }

  async renew(id: string, owner: string, leaseMs: number): Promise<{ leaseUntil: string } | null> {
    const now = this.now();
    const at = now.toISOString();
    // Capped at the task's expiry: a task nobody waits for any more is not kept.
    const row = await this.db
      .updateTable('agent_tasks')
      .set((eb) => ({
        lease_until: eb
          .case()
          .when('expires_at', '<', leaseEnd(now, leaseMs))
          .then(eb.ref('expires_at'))
          .else(leaseEnd(now, leaseMs))
          .end(),
      }))
      .where('id', '=', id)
      .where('owner', '=', owner)
      .where('status', '=', 'running')
      .where('expires_at', '>', at)
      .returning(['lease_until'])
      .executeTakeFirst();
    return row?.lease_until ? { leaseUntil: row.lease_until } : null;
  }

  async complete(id: string, owner: string, result: unknown): Promise<'recorded' | 'duplicate' | 'lost'> {
    const done = await this.db
      .updateTable('agent_tasks')
      .set({ status: 'done', result: JSON.stringify(result) })
      .where('id', '=', id)
      .where('owner', '=', owner)
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) > 0) return 'recorded';
    const now = await this.get(id);
    return now?.status === 'done' && now.owner === owner ? 'duplicate' : 'lost';
  }

  async withdraw(id: string): Promise<boolean> {
    const r = await this.db
      .updateTable('agent_tasks')
      .set({ status: 'withdrawn' })
      .where('id', '=', id)
      .where('status', 'in', ['queued', 'running'])
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async get(id: string): Promise<AgentTaskState | null> {
    const row = await this.db
      .selectFrom('agent_tasks')
      .select(['status', 'kind', 'runtime', 'owner', 'result'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return null;
    return {
      status: row.status as AgentTaskStatus,
      kind: row.kind as AgentTaskKind,
      runtime: row.runtime,
      owner: row.owner,
      result: row.result === null ? null : (JSON.parse(row.result) as unknown),
    };
  }

  async stats(): Promise<AgentTaskStat[]> {
    const at = this.now().toISOString();
    const rows = await this.db
      .selectFrom('agent_tasks')
      .select(['runtime', 'status', 'created_at'])
      .where('status', 'in', ['queued', 'running'])
      .where('expires_at', '>', at)
      .orderBy('created_at')
      .limit(10_000)
      .execute();
    return tally(rows.map((r) => ({ runtime: r.runtime, status: r.status, createdAt: r.created_at })));
  }
}

/** A lease of `leaseMs` from `now`, capped at `cap` (the task's expiry) when given. */
export function leaseEnd(now: Date, leaseMs: number, cap?: string): string {
  const until = new Date(now.getTime() + leaseMs).toISOString();
  return cap !== undefined && cap < until ? cap : until;
}

/** Per-runtime counts of live tasks, `rows` oldest first. */
export function tally(rows: Array<{ runtime: string; status: string; createdAt: string }>): AgentTaskStat[] {
  const by = new Map<string, AgentTaskStat>();
  for (const r of rows) {
    const s = by.get(r.runtime) ?? { runtime: r.runtime, queued: 0, running: 0, oldestQueuedAt: null };
    by.set(r.runtime, s);
    if (r.status === 'running') s.running++;
    else {
      s.queued++;
      s.oldestQueuedAt ??= r.createdAt;
    }
  }
  return [...by.values()].sort((a, b) => a.runtime.localeCompare(b.runtime));
}
