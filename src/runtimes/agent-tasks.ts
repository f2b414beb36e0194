import { randomBytes } from 'node:crypto';
import {
  AGENT_PROTOCOL,
  InspectTaskResult,
  LeaseRequest,
  TaskCompleteRequest,
  TestTaskResult,
  type AgentView,
  type InspectTask,
  type TestTask,
} from '../contract/agent-protocol.js';
import type { EnrichedImage } from '../contract/images.js';
import { ERROR_CODEC } from '../domain/error-codec.js';
import { ConflictError, NotFoundError, UnavailableError, type ErrorKind } from '../domain/errors.js';
import { parseInput } from '../domain/parse.js';
import type { ConfigRepo } from '../config-repo/workspace.js';
import type { RecipientSource } from '../integrations/recipients.js';
import type { RemoteTester } from '../integrations/remote-tester.js';
import { sealFor } from '../integrations/sealed-secrets.js';
import type { AnyIntegrationTypeHandler, Runtime } from '../integrations/types/handler.js';
import type { IntegrationCheck, IntegrationTestResult } from '../integrations/types/test-result.js';
import type { Redactor } from '../logging/redactor.js';
import type { AgentTaskStore, ClaimedTask } from '../store/agent-task-store.js';
import type { Principal } from '../store/token-store.js';
import { assertRuntime, checkProtocol } from './agent-protocol-check.js';
import { absenceOf, nobodyComing } from './agent-presence.js';
import type { RuntimeExecutor } from './executor.js';

export interface AgentTasksDeps {
  tasks: AgentTaskStore;
  repo: Pick<ConfigRepo, 'snapshot'>;
  pins: RecipientSource;
  executor: Pick<RuntimeExecutor, 'canExecute'>;
  redactor: Redactor;
  /** The runtime's agents, newest first (what the timeout message says about them). */
  agentsOf(runtime: string): Promise<AgentView[]>;
  /** Wakes the runtime's waiting claims, here and on the other replicas. */
  wake(runtime: string): void;
  /** How long a caller waits for an agent's answer. */
  timeoutMs?: number;
  /** How long a claimed task is its agent's before another may take it. */
  leaseMs?: number;
  /** How often a waiting caller looks at the store (an answer may arrive at another replica). */
  pollMs?: number;
}

/** What the store keeps as a task's result: the agent's outcome, validated. */
type Outcome = TaskCompleteRequest['outcome'];

/**
 * Connection tests and inspections on a remote hybrid runtime, run by its agents: queued in the store,
 * claimed through the agents' long poll (any replica), awaited here up to the timeout, then withdrawn.
 * Secrets go only sealed for the runtime's pinned recipient; results are checked against the contract.
 */
export class AgentTasks implements RemoteTester {
  readonly #done = new Map<string, () => void>();

  constructor(private readonly deps: AgentTasksDeps) {}

  private get timeoutMs(): number {
    return this.deps.timeoutMs ?? 60_000;
  }

  /** Hybrid runtimes this process does not run; hosted ones and its own run in-process. */
  serves(runtime: Runtime): boolean {
    return runtime.spec.type === 'hybrid' && !this.deps.executor.canExecute(runtime).ok;
  }

  servesName(name: string): boolean {
    const rt = this.deps.repo.snapshot().runtimes.get(name);
    return rt !== undefined && this.serves(rt);
  }

  async test(
    h: AnyIntegrationTypeHandler,
    name: string,
    settings: unknown,
    runtime: Runtime,
    onCheck?: (c: IntegrationCheck) => void,
  ): Promise<IntegrationTestResult> {
    const rt = runtime.metadata.name;
    const recipient = this.deps.pins.runtime(rt);
    if (!recipient) throw await this.noAgent(rt, 'run the connection test');
    // Sealed for this runtime only, bound to the name and destinations, exactly as a stored integration.
    const section = await h.build(settings, sealFor(h, name, settings, [recipient]));
    const out = await this.run(rt, 'test', { test: { type: h.type, name, section } }, 'connection test');
    const result = TestTaskResult.parse(out);
    for (const c of result.checks) onCheck?.(c);
    return result;
  }

  async inspect(
    runtime: string,
    input: { image: string; registryIntegration?: string },
  ): Promise<EnrichedImage> {
    const inspect = {
      image: input.image,
      ...(input.registryIntegration ? { registryIntegration: input.registryIntegration } : {}),
    };
    const out = await this.run(runtime, 'inspect', { inspect }, 'inspection');
    return InspectTaskResult.parse(out) as unknown as EnrichedImage;
  }

  /** For a claim of `runtime`'s agent: the oldest task waiting, leased to it. */
  async claimFor(runtime: string, agentId: string): Promise<TestTask | InspectTask | null> {
    const leaseId = `task:${runtime}:${agentId}:${randomBytes(12).toString('base64url')}`;
    const t = await this.deps.tasks.claim({ runtime, owner: leaseId, leaseMs: this.leaseMs });
    return t ? toJob(t, leaseId, this.leaseMs) : null;
  }

  private get leaseMs(): number {
    return Math.min(this.deps.leaseMs ?? 30_000, this.timeoutMs);
  }

  /** The working agent keeps its task (as a report job's lease): another agent takes it only if it stops. */
  async renew(principal: Principal, id: string, raw: unknown): Promise<{ leaseUntil: string }> {
    checkProtocol(raw);
    const req = parseInput(LeaseRequest, raw, 'lease renewal');
    const held = /^[\w-]{1,100}$/.test(id) ? await this.deps.tasks.get(id) : null;
    if (!held) throw new NotFoundError(`No task with id "${id}".`);
    assertRuntime(principal, held.runtime);
    const renewed = await this.deps.tasks.renew(id, req.leaseId, this.leaseMs);
    if (!renewed) {
      throw new ConflictError(
        `The lease on task ${id} is no longer this agent's (its caller stopped waiting, or another agent took it over).`,
        { hints: ['Nothing to do: the result is not needed from this agent any more.'] },
      );
    }
    return renewed;
  }

  async complete(principal: Principal, id: string, raw: unknown) {
    checkProtocol(raw);
    const req = parseInput(TaskCompleteRequest, raw, 'task result');
    const held = /^[\w-]{1,100}$/.test(id) ? await this.deps.tasks.get(id) : null;
    if (!held) throw new NotFoundError(`No task with id "${id}".`);
    assertRuntime(principal, held.runtime);
    const o = req.outcome;
    // Checked now, not when read: a result the caller could not use is the agent's error (400).
    const outcome: Outcome = o.ok
      ? {
          ok: true,
          result: parseInput(
            held.kind === 'test' ? TestTaskResult : InspectTaskResult,
            o.result,
            'task result',
          ),
        }
      : { ...o, message: this.deps.redactor.redact(o.message) };
    const status = await this.deps.tasks.complete(id, req.leaseId, outcome);
    if (status === 'lost') {
      throw new ConflictError(
        `Task ${id} is no longer this agent's (its caller stopped waiting, or another agent took it over).`,
        { hints: ['Nothing to do: the result is not needed any more.'] },
      );
    }
    this.#done.get(id)?.();
    return { protocol: AGENT_PROTOCOL, status };
  }

  /** Queues the task, wakes the agents, waits for the answer up to the timeout, else withdraws it. */
  private async run(
    runtime: string,
    kind: 'test' | 'inspect',
    payload: Record<string, unknown>,
    what: string,
  ) {
    const agents = await this.deps.agentsOf(runtime);
    if (nobodyComing(agents)) throw await this.noAgent(runtime, `run the ${what}`, agents);
    const task = await this.deps.tasks.enqueue({ runtime, kind, payload, ttlMs: this.timeoutMs });
    this.deps.wake(runtime);
    const deadline = Date.now() + this.timeoutMs;
    try {
      for (;;) {
        const state = await this.deps.tasks.get(task.id);
        if (state?.status === 'done') return answer(state.result as Outcome);
        const left = deadline - Date.now();
        if (left <= 0) break;
        await this.waitDone(task.id, Math.min(left, this.deps.pollMs ?? 250));
      }
      // Not run later: a withdrawn task is never claimed again. It may have finished just now.
      if (!(await this.deps.tasks.withdraw(task.id))) {
        const state = await this.deps.tasks.get(task.id);
        if (state?.status === 'done') return answer(state.result as Outcome);
      }
    } finally {
      this.#done.delete(task.id);
    }
    throw await this.noAgent(runtime, `run the ${what}`);
  }

  private waitDone(id: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#done.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** "waiting for runtime "eks-a": no agent connected since …", as an answer within the timeout. */
  private async noAgent(runtime: string, what: string, known?: AgentView[]): Promise<UnavailableError> {
    const agents = known ?? (await this.deps.agentsOf(runtime));
    const newest = agents[0];
    const why = !newest
      ? 'no agent has ever connected'
      : agents.some((a) => a.connected)
        ? `no agent answered within ${Math.round(this.timeoutMs / 1000)} s (last seen ${newest.lastSeenAt})`
        : absenceOf(newest);
    return new UnavailableError(`Cannot ${what}: waiting for runtime "${runtime}": ${why}.`, {
      hints: [
        `Start the runtime's agent where it lives, from its data directory: imagetrail agent --server URL --runtime ${runtime} --data-dir DIR (docs/runtime-agent.md); only its first start needs a registration token (imagetrail runtime token ${runtime}).`,
        'Check that it reaches this control plane: its log, or its /readyz.',
      ],
    });
  }
}

function toJob(t: ClaimedTask, leaseId: string, leaseMs: number): TestTask | InspectTask {
  const base = {
    id: t.id,
    leaseId,
    leaseMs,
    runtime: t.runtime,
    createdAt: t.createdAt,
    expiresAt: t.expiresAt,
  };
  return t.kind === 'test'
    ? { ...base, kind: 'test', test: t.payload['test'] as TestTask['test'] }
    : { ...base, kind: 'inspect', inspect: t.payload['inspect'] as InspectTask['inspect'] };
}

/** The agent's answer: a result, or the error it met, rebuilt in the taxonomy. */
function answer(o: Outcome): unknown {
  if (o.ok) return o.result;
  const kind = (o.kind && o.kind in ERROR_CODEC ? o.kind : 'unavailable') as ErrorKind;
  throw ERROR_CODEC[kind].make(o.message, {}, null);
}
