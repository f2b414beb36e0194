/**
 * Work for a remote hybrid runtime's agents that someone waits for: a connection test or an inspection,
 * queued in the store so that an agent long-polling any replica can take it. Leased to one agent at a time
 * (an expired lease is claimed again); never run after its expiry or after its caller withdrew it.
 */
export type AgentTaskKind = 'test' | 'inspect';

export interface NewAgentTask {
  runtime: string;
  kind: AgentTaskKind;
  /** What the agent needs: sealed secrets only, never a clear one. */
  payload: Record<string, unknown>;
  /** The caller's patience: after this the task is not claimed any more. */
  ttlMs: number;
}

export interface AgentTask {
  id: string;
  runtime: string;
  kind: AgentTaskKind;
  payload: Record<string, unknown>;
  createdAt: string;
  expiresAt: string;
}

export interface ClaimedTask extends AgentTask {
  attempt: number;
  leaseUntil: string;
}

export type AgentTaskStatus = 'queued' | 'running' | 'done' | 'withdrawn';

export interface AgentTaskState {
  status: AgentTaskStatus;
  kind: AgentTaskKind;
  runtime: string;
  owner: string | null;
  /** The agent's answer (set when done). */
  result: unknown;
}

export interface AgentTaskStat {
  runtime: string;
  queued: number;
  running: number;
  oldestQueuedAt: string | null;
}

export interface AgentTaskStore {
  enqueue(task: NewAgentTask): Promise<AgentTask>;
  /** Leases the oldest claimable task of `runtime` to `owner`, or null. */
  claim(opts: { runtime: string; owner: string; leaseMs: number }): Promise<ClaimedTask | null>;
  /**
   * Extends a running task's lease while its holder works (never past the task's expiry): null when the
   * lease is not `owner`'s any more (taken over, finished, withdrawn, expired).
   */
  renew(id: string, owner: string, leaseMs: number): Promise<{ leaseUntil: string } | null>;
  /** `duplicate`: this owner already completed it; `lost`: the lease is not this owner's (or it ended). */
  complete(id: string, owner: string, result: unknown): Promise<'recorded' | 'duplicate' | 'lost'>;
  /** The caller gave up: the task is not run (any more). False when it already finished. */
  withdraw(id: string): Promise<boolean>;
  get(id: string): Promise<AgentTaskState | null>;
  /** Live (unexpired) queued and running tasks per runtime. */
  stats(): Promise<AgentTaskStat[]>;
}

/** Finished and expired tasks are kept this long (for a late duplicate completion), then deleted. */
export const TASK_RETENTION_MS = 3_600_000;
