import type {
  AgentTask,
  AgentTaskStat,
  AgentTaskState,
  AgentTaskStore,
  ClaimedTask,
  NewAgentTask,
} from './agent-task-store.js';
import { createSortableIdGenerator } from './sortable-id.js';
import { leaseEnd, tally } from './sql-agent-task-store.js';

interface Row extends AgentTask, AgentTaskState {
  attempts: number;
  leaseUntil: string | null;
}

/** In-memory twin of SqlAgentTaskStore for unit tests; same contract. */
export class FakeAgentTaskStore implements AgentTaskStore {
  private readonly rows = new Map<string, Row>();
  private readonly now: () => Date;
  private readonly nextId = createSortableIdGenerator('task_');

  constructor(deps: { now?: () => Date } = {}) {
    this.now = deps.now ?? (() => new Date());
  }

  enqueue(task: NewAgentTask): Promise<AgentTask> {
    const now = this.now();
    const row: Row = {
      id: this.nextId(now),
      runtime: task.runtime,
      kind: task.kind,
      payload: structuredClone(task.payload),
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + task.ttlMs).toISOString(),
      status: 'queued',
      owner: null,
      result: null,
      attempts: 0,
      leaseUntil: null,
    };
    this.rows.set(row.id, row);
    const { id, runtime, kind, payload, createdAt, expiresAt } = row;
    return Promise.resolve({ id, runtime, kind, payload: structuredClone(payload), createdAt, expiresAt });
  }

  claim(opts: { runtime: string; owner: string; leaseMs: number }): Promise<ClaimedTask | null> {
    const now = this.now();
    const at = now.toISOString();
    const row = [...this.rows.values()]
      .filter(
        (r) =>
          r.runtime === opts.runtime &&
          r.expiresAt > at &&
          (r.status === 'queued' || (r.status === 'running' && (r.leaseUntil ?? '') <= at)),
      )
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))[0];
    if (!row) return Promise.resolve(null);
    row.status = 'running';
    row.owner = opts.owner;
    row.leaseUntil = new Date(now.getTime() + opts.leaseMs).toISOString();
    row.attempts++;
    const { id, runtime, kind, payload, createdAt, expiresAt } = row;
    return Promise.resolve({
      ...{ id, runtime, kind, payload: structuredClone(payload), createdAt, expiresAt },
      attempt: row.attempts,
      leaseUntil: row.leaseUntil,
    });
  }

  renew(id: string, owner: string, leaseMs: number): Promise<{ leaseUntil: string } | null> {
    const row = this.rows.get(id);
    const now = this.now();
    if (row?.owner !== owner || row.status !== 'running' || row.expiresAt <= now.toISOString())
      return Promise.resolve(null);
    row.leaseUntil = leaseEnd(now, leaseMs, row.expiresAt);
    return Promise.resolve({ leaseUntil: row.leaseUntil });
  }

  complete(id: string, owner: string, result: unknown): Promise<'recorded' | 'duplicate' | 'lost'> {
    const row = this.rows.get(id);
    if (row?.owner === owner && row.status === 'running') {
      row.status = 'done';
      row.result = structuredClone(result);
      return Promise.resolve('recorded');
    }
    return Promise.resolve(row?.owner === owner && row.status === 'done' ? 'duplicate' : 'lost');
  }

  withdraw(id: string): Promise<boolean> {
    const row = this.rows.get(id);
    if (!row || (row.status !== 'queued' && row.status !== 'running')) return Promise.resolve(false);
    row.status = 'withdrawn';
    return Promise.resolve(true);
  }

  get(id: string): Promise<AgentTaskState | null> {
    const row = this.rows.get(id);
    if (!row) return Promise.resolve(null);
    return Promise.resolve({
      status: row.status,
      kind: row.kind,
      runtime: row.runtime,
      owner: row.owner,
      result: structuredClone(row.result),
    });
  }

  stats(): Promise<AgentTaskStat[]> {
    const at = this.now().toISOString();
    const live = [...this.rows.values()]
      .filter((r) => (r.status === 'queued' || r.status === 'running') && r.expiresAt > at)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    return Promise.resolve(tally(live));
  }
}
