import type { AgentView, RegisterResponse } from '../contract/agent-protocol.js';
import type { QueueStat, ReportStore } from '../store/report-store.js';
import type { AgentTaskStat, AgentTaskStore } from '../store/agent-task-store.js';
import { AgentDispatch, type AgentDispatchDeps } from './agent-dispatch.js';
import { AgentTasks } from './agent-tasks.js';
import { issueRegistrationToken, registerAgent, type AgentRegistrationDeps } from './agent-registration.js';
import { absenceOf } from './agent-presence.js';
import type { RuntimeView } from './runtime-service.js';

export type AgentHubDeps = AgentRegistrationDeps &
  AgentDispatchDeps & {
    reports: ReportStore;
    tasks: AgentTaskStore;
    /** How long a connection test or inspection waits for the runtime's agent. */
    taskTimeoutMs?: number;
    /** A task was queued: tell the other replicas, whose agents may be the ones waiting. */
    onTaskQueued?: () => void;
  };

/** What a runtime view adds about agents: who serves it, and why its work waits when nobody does. */
export interface RuntimeAgentsView {
  agents: AgentView[];
  /** Reports and tasks waiting for the agents; `tasks`: connection tests and inspections alone. */
  queue: {
    queued: number;
    oldestQueuedAt: string | null;
    tasks: { queued: number; running: number };
  };
  /** Set when reports wait for a runtime no agent serves now ("waiting for runtime eks-a: …"). */
  waiting?: string;
}

/** The control plane's side of runtime agents: registration, dispatch, and what the runtime views show. */
export class AgentHub {
  readonly dispatch: AgentDispatch;
  readonly tasks: AgentTasks;

  constructor(private readonly deps: AgentHubDeps) {
    this.dispatch = new AgentDispatch({
      ...deps,
      claimTask: (runtime, agentId) => this.tasks.claimFor(runtime, agentId),
    });
    this.tasks = new AgentTasks({
      ...deps,
      tasks: deps.tasks,
      agentsOf: (runtime) => this.dispatch.agentsOf(runtime),
      wake: (runtime) => {
        this.dispatch.notifyTask(runtime);
        deps.onTaskQueued?.();
      },
      ...(deps.taskTimeoutMs !== undefined ? { timeoutMs: deps.taskTimeoutMs } : {}),
    });
  }

  issueToken(runtime: string, ttlSeconds: number, actorId: string | null) {
    return issueRegistrationToken(this.deps, runtime, ttlSeconds, actorId);
  }

  register(registrationToken: string, body: unknown): Promise<RegisterResponse> {
    return registerAgent(this.deps, registrationToken, body);
  }

  /** Adds agents and queue facts to runtime views; in-process and hosted runtimes have no agents. */
  async decorate<V extends RuntimeView>(views: V[]): Promise<Array<V & Partial<RuntimeAgentsView>>> {
    const stats = new Map<string, QueueStat>();
    for (const s of await this.deps.reports.queueStats()) stats.set(s.runtime, s);
    const tasks = new Map<string, AgentTaskStat>();
    for (const t of await this.deps.tasks.stats()) tasks.set(t.runtime, t);
    return Promise.all(
      views.map(async (v) => {
        if (v.inProcess) return v;
        const agents = await this.dispatch.agentsOf(v.name);
        const q = stats.get(v.name);
        const t = tasks.get(v.name);
        const oldest = [q?.oldestCreatedAt, t?.oldestQueuedAt].filter((x) => x != null).sort()[0];
        const queue = {
          queued: (q?.queued ?? 0) + (t?.queued ?? 0),
          oldestQueuedAt: oldest ?? null,
          tasks: { queued: t?.queued ?? 0, running: t?.running ?? 0 },
        };
        const out: V & RuntimeAgentsView = { ...v, agents, queue };
        const waiting = waitingMessage(v.name, agents, queue.queued);
        if (waiting) out.waiting = waiting;
        return out;
      }),
    );
  }
}

export function waitingMessage(runtime: string, agents: AgentView[], queued: number): string | undefined {
  if (queued === 0 || agents.some((a) => a.connected)) return undefined;
  const newest = agents[0];
  if (!newest)
    return `waiting for runtime ${runtime}: no agent has registered yet (imagetrail runtime token ${runtime})`;
  return `waiting for runtime ${runtime}: ${absenceOf(newest)}`;
}
