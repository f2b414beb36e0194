import { randomBytes } from 'node:crypto';
import type * as z from 'zod';
import type { LeaveResponse } from '../contract/agent-protocol.js';
import {
  AGENT_PROTOCOL,
  ClaimRequest,
  CompleteRequest,
  LeaseRequest,
  LeaveRequest,
  type AgentJob,
  type AgentView,
  type ClaimResponse,
  type InspectTask,
  type TestTask,
  type ReportJob,
  type SnapshotResponse,
} from '../contract/agent-protocol.js';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { parseInput } from '../domain/parse.js';
import { runtimePath } from '../config-repo/layout.js';
import { integrationsForRuntime } from '../config-repo/snapshot.js';
import type { ConfigRepo } from '../config-repo/workspace.js';
import type { PipelineResult, ReportStatus } from '../contract/images.js';
import type { Redactor } from '../logging/redactor.js';
import type { ImageStore } from '../store/image-store.js';
import type { ClaimedJob, ReportHandoff, ReportStore } from '../store/report-store.js';
import type { SqlAgentStore } from '../store/sql-agent-store.js';
import type { Principal } from '../store/token-store.js';
import { assertRuntime, checkProtocol } from './agent-protocol-check.js';
import { ClaimWaiters, type Wake } from './claim-waiters.js';
import { HeldLeases, TaskLooks } from './dispatch-memo.js';

export interface AgentDispatchDeps {
  repo: Pick<ConfigRepo, 'snapshot'>;
  reports: ReportStore;
  images: Pick<ImageStore, 'recordEnrichment'>;
  agents: SqlAgentStore;
  redactor: Redactor;
  /** How long an agent's job stays its own without a renewal. */
  leaseMs?: number;
  /** How often a waiting claim looks again without being woken (jobs accepted by another replica). */
  pollMs?: number;
  /** An agent seen within this long counts as connected. */
  connectedMs?: number;
  /** A test or inspection waiting for the runtime, leased to the claiming agent (agent-tasks.ts). */
  claimTask?: (runtime: string, agentId: string) => Promise<TestTask | InspectTask | null>;
}

/** How many agents' last `seen` write the dispatch remembers. */
const MAX_REMEMBERED_AGENTS = 512;

/**
 * Work for remote hybrid runtimes, handed out to their agents: long-poll claims of the caller's runtime
 * only, lease renewals, idempotent completion (the lease id is the attempt), and hand-back on shutdown.
 * A `runtime:A` credential is refused (403) anything of runtime B.
 */
export class AgentDispatch {
  /** Waiting claims per runtime, longest waiting first. */
  readonly #waiters = new ClaimWaiters();
  /** Per runtime: wake-ups that found no waiting claim (one was between its look and its wait). */
  readonly #pending = new Map<string, number>();
  /** Per runtime: when a claim here last looked at the store, so idle claims do not each poll it. */
  readonly #lastLook = new Map<string, number>();
  /** Per agent: what `seen` last recorded and when, so a claim need not write it again each time. */
  readonly #seen = new Map<string, { key: string; at: number }>();
  /** Whether a claim must look for tasks before reports (a look costs a statement on the claim's path). */
  readonly #taskLooks = new TaskLooks(() => this.pollMs);
  /** Leases handed out here: their completion need not read the job back (dispatch-memo.ts). */
  readonly #held = new HeldLeases();

  constructor(private readonly deps: AgentDispatchDeps) {}

  private get leaseMs(): number {
    return this.deps.leaseMs ?? 30_000;
  }

  private get pollMs(): number {
    return this.deps.pollMs ?? 1000;
  }

  /**
   * A report for `runtime` was accepted: wakes one waiting claim of its agents. A claim that takes a job
   * wakes the next, so a burst reaches every waiting agent while one report costs one look, not one per agent.
   */
  notify(runtime: string): void {
    if (!this.#waiters.wakeFirst(runtime))
      this.#pending.set(runtime, Math.min(8, (this.#pending.get(runtime) ?? 0) + 1));
  }

  /**
   * A report for `runtime` is about to be written: when a claim of its agents waits here, the report is
   * written already leased to it and handed over, with no claim statement and no wake-up (ADR 0039).
   */
  offer(runtime: string): ReportHandoff | null {
    const claim = this.#waiters.reserve(runtime);
    if (!claim) return null;
    const owner = newLeaseId(runtime, claim.agentId);
    return {
      lease: { owner, leaseMs: this.leaseMs },
      deliver: (job) => claim.end(this.toJob(job, owner)),
      cancel: () => claim.end(true),
    };
  }

  /** A test or an inspection was queued here for `runtime`: its claims look for tasks again. */
  notifyTask(runtime: string): void {
    this.#taskLooks.woken();
    this.notify(runtime);
  }

  /**
   * A task was queued at another replica (no runtime said), or notifications may have been lost: every
   * claim looks for tasks again, and every waiting claim here is woken.
   */
  notifyAll(): void {
    this.#taskLooks.woken();
    this.#waiters.wakeAll();
  }

  async claim(principal: Principal, raw: unknown, signal?: AbortSignal): Promise<ClaimResponse> {
    checkProtocol(raw);
    const req = parseInput(ClaimRequest, raw, 'claim');
    assertRuntime(principal, req.runtime);
    await this.seen(req);
    const deadline = Date.now() + req.waitMs;
    const jobs: AgentJob[] = [];
    let look = true;
    let handed = false;
    for (;;) {
      if (look) this.#lastLook.set(req.runtime, Date.now());
      while (look && jobs.length < req.max && !signal?.aborted) {
        // Someone waits for a task's answer: tasks go before reports.
        const task = await this.nextTask(req.runtime, req.agentId);
        if (task) {
          jobs.push(task);
          continue;
        }
        const leaseId = newLeaseId(req.runtime, req.agentId);
        const job = await this.deps.reports.claim({
          owner: leaseId,
          leaseMs: this.leaseMs,
          runtimes: [req.runtime],
        });
        if (!job) break;
        jobs.push(this.toJob(job, leaseId));
      }
      const left = deadline - Date.now();
      if (jobs.length > 0 || left <= 0 || signal?.aborted) break;
      const woken =
        this.takePending(req.runtime) ||
        (await this.wait(req.runtime, req.agentId, Math.min(left, this.pollMs), signal));
      if (typeof woken === 'boolean') look = woken;
      else {
        jobs.push(woken);
        handed = true;
        look = false;
      }
    }
    if (signal?.aborted) {
      // Nobody will read this answer: hand the jobs back rather than leave them to their lease, then let
      // a waiting claim look (after the release, so it finds them).
      for (const j of jobs) {
        if (j.kind !== 'report') continue;
        this.#held.forget(j.id);
        await this.deps.reports.release(j.id, j.leaseId);
      }
      if (jobs.some((j) => j.kind === 'report')) this.notify(req.runtime);
      return { protocol: AGENT_PROTOCOL, jobs: [], configCommit: null };
    }
    // There may be more: let the next waiting claim look, once this answer is on its way (a look runs
    // its statements at once, on SQLite in this thread, ahead of writing the answer). A report handed
    // over at its intake was the one report there was.
    if (!handed && jobs.some((j) => j.kind === 'report'))
      setImmediate(() => this.#waiters.wakeFirst(req.runtime));
    return { protocol: AGENT_PROTOCOL, jobs, configCommit: this.deps.repo.snapshot().commit };
  }

  async renew(principal: Principal, id: string, raw: unknown): Promise<{ leaseUntil: string }> {
    checkProtocol(raw);
    const req = parseInput(LeaseRequest, raw, 'lease renewal');
    await this.ownJob(principal, id);
    // Taken before the statement: the store's new term is no earlier than this.
    const until = Date.now() + this.leaseMs;
    if (!(await this.deps.reports.heartbeat(id, req.leaseId, this.leaseMs))) {
      this.#held.forget(id);
      throw lost(id);
    }
    this.#held.renewed(id, req.leaseId, until);
    return { leaseUntil: new Date(until).toISOString() };
  }

  /** The agent is stopping: shown stopped from now on, until it claims again. */
  async leave(principal: Principal, raw: unknown): Promise<z.output<typeof LeaveResponse>> {
    checkProtocol(raw);
    const req = parseInput(LeaveRequest, raw, 'leave');
    assertRuntime(principal, req.runtime);
    // Its next claim (a restart under the same id) must write `seen` again, which clears the mark.
    this.#seen.delete(req.agentId);
    return { protocol: AGENT_PROTOCOL, left: await this.deps.agents.leave(req.agentId, req.runtime) };
  }

  async release(principal: Principal, id: string, raw: unknown): Promise<{ released: boolean }> {
    checkProtocol(raw);
    const req = parseInput(LeaseRequest, raw, 'release');
    await this.ownJob(principal, id);
    this.#held.forget(id);
    const released = await this.deps.reports.release(id, req.leaseId);
    if (released) this.notify((await this.deps.reports.holder(id))?.runtime ?? '');
    return { released };
  }

  async complete(
    principal: Principal,
    id: string,
    raw: unknown,
  ): Promise<{ protocol: number; status: 'recorded' | 'duplicate'; report: { id: string; status: string } }> {
    checkProtocol(raw);
    const req = parseInput(CompleteRequest, raw, 'job result');
    const held = await this.heldBy(principal, id, req.leaseId);
    const answer = (status: 'recorded' | 'duplicate', s: string) => ({
      protocol: AGENT_PROTOCOL,
      status,
      report: { id, status: s },
    });
    if (held.owner === req.leaseId && held.status !== 'running') return answer('duplicate', held.status);
    if (held.owner !== req.leaseId || held.status !== 'running') throw lost(id);
    this.#held.forget(id);
    // Written with the outcome, in its statement: one write, not one per step.
    const steps = req.steps.map((step) => ({
      ...step,
      ...(step.message !== undefined ? { message: this.deps.redactor.redact(step.message) } : {}),
    }));
    const o = req.outcome;
    if (o.ok) {
      // What the report is, the control plane says: the runtime and report id are not the agent's to set.
      const result = o.result as unknown as PipelineResult;
      result.build = { ...result.build, runtime: held.runtime, reportId: id };
      // Where the store can, "succeeded" is written in the recording's statement (one round trip less).
      const recorded = await this.deps.images.recordEnrichment(result, {
        reportId: id,
        owner: req.leaseId,
        steps,
      });
      const done =
        recorded.completed ??
        (await this.deps.reports.succeed(
          id,
          req.leaseId,
          { imageId: recorded.imageId, digest: result.image.digest },
          steps,
        ));
      if (!done) return answer('duplicate', await this.endedBy(id, req.leaseId));
      return answer('recorded', 'succeeded');
    }
    const outcome = await this.deps.reports.fail(id, req.leaseId, {
      message: this.deps.redactor.redact(o.message),
      ...(o.errorClass ? { errorClass: o.errorClass } : {}),
      retryable: o.retryable,
      steps,
    });
    if (!outcome) return answer('duplicate', await this.endedBy(id, req.leaseId));
    return answer('recorded', outcome.status);
  }

  snapshot(principal: Principal, runtime: string): SnapshotResponse {
    assertRuntime(principal, runtime);
    const snap = this.deps.repo.snapshot();
    const rt = snap.runtimes.get(runtime);
    if (!rt) throw new NotFoundError(`No runtime named "${runtime}".`);
    return {
      protocol: AGENT_PROTOCOL,
      commit: snap.commit,
      runtime: { file: runtimePath(runtime), resource: rt },
      integrations: integrationsForRuntime(snap, runtime).map((e) => ({
        file: e.file,
        resource: e.resource,
      })),
    };
  }

  /** The agents of a runtime, newest first, each marked connected when seen recently. */
  async agentsOf(runtime: string): Promise<AgentView[]> {
    const window = this.deps.connectedMs ?? 60_000;
    const now = Date.now();
    return (await this.deps.agents.list(runtime)).map((a) => ({
      id: a.id,
      version: a.version,
      awsIdentityArn: a.awsArn,
      registeredAt: a.registeredAt,
      lastSeenAt: a.lastSeenAt,
      leftAt: a.leftAt,
      connected: a.leftAt === null && now - Date.parse(a.lastSeenAt) <= window,
    }));
  }

  private toJob(job: ClaimedJob, leaseId: string): ReportJob {
    this.#held.remember(job.id, leaseId, job.runtime, Date.parse(job.leaseUntil));
    return {
      kind: 'report',
      id: job.id,
      leaseId,
      attempt: job.attempts,
      leaseUntil: job.leaseUntil,
      leaseMs: this.leaseMs,
      runtime: job.runtime,
      createdAt: job.createdAt,
      input: job.input,
    };
  }

  /**
   * The job's runtime (checked against the caller's), holder and status. A lease handed out here, not past
   * its term less a margin for clocks, and not known to have ended is known without reading the job: it is
   * running under that lease unless its outcome was written meanwhile, which the outcome's write (matched
   * on the lease) then finds (`endedBy`).
   */
  private async heldBy(principal: Principal, id: string, leaseId: string) {
    const mine = this.#held.get(id, leaseId);
    if (!mine) return this.ownJob(principal, id);
    assertRuntime(principal, mine.runtime);
    return { runtime: mine.runtime, owner: leaseId as string | null, status: 'running' as ReportStatus };
  }

  /** The outcome's write matched nothing: the same attempt already ended (a duplicate), or the lease is lost. */
  private async endedBy(id: string, leaseId: string): Promise<ReportStatus> {
    const now = await this.deps.reports.holder(id);
    if (now?.owner === leaseId && now.status !== 'running') return now.status;
    throw lost(id);
  }

  private async ownJob(principal: Principal, id: string) {
    const held = /^[\w-]{1,100}$/.test(id) ? await this.deps.reports.holder(id) : null;
    if (!held) throw new NotFoundError(`No job with id "${id}".`);
    assertRuntime(principal, held.runtime);
    return held;
  }

  /** The oldest task waiting for the runtime, leased to the agent; no statement when none can be waiting. */
  private async nextTask(runtime: string, agentId: string): Promise<TestTask | InspectTask | null> {
    if (!this.deps.claimTask || !this.#taskLooks.needed(runtime)) return null;
    const looked = this.#taskLooks.start(runtime);
    const task = await this.deps.claimTask(runtime, agentId);
    looked(task !== null);
    return task;
  }

  private takePending(runtime: string): boolean {
    const n = this.#pending.get(runtime) ?? 0;
    if (n === 0) return false;
    if (n === 1) this.#pending.delete(runtime);
    else this.#pending.set(runtime, n - 1);
    return true;
  }

  /**
   * Waits for a wake-up, a hand-over or the poll interval. A poll finds work only from other replicas or
   * retries coming due, so one look per runtime and interval is enough.
   */
  private wait(runtime: string, agentId: string, ms: number, signal?: AbortSignal): Promise<Wake> {
    // A full interval (less timer slack) since any claim of the runtime looked.
    const due = () => Date.now() - (this.#lastLook.get(runtime) ?? 0) >= ms * 0.9;
    return this.#waiters.wait(runtime, agentId, ms, due, signal);
  }

  /** Records that the agent is alive, at most every quarter of the "connected" window unless it changed. */
  private async seen(req: z.output<typeof ClaimRequest>): Promise<void> {
    const awsArn = req.awsIdentity !== undefined ? (req.awsIdentity?.arn ?? null) : undefined;
    const key = JSON.stringify([req.runtime, req.version, awsArn]);
    const last = this.#seen.get(req.agentId);
    const now = Date.now();
    if (last?.key === key && now - last.at < (this.deps.connectedMs ?? 60_000) / 4) return;
    await this.deps.agents.seen({
      id: req.agentId,
      runtime: req.runtime,
      version: req.version,
      ...(awsArn !== undefined ? { awsArn } : {}),
    });
    // An agent new to this replica (a start, or one made up): the runtime's rows stay bounded.
    if (!last) await this.deps.agents.prune(req.runtime);
    // Agent ids are the agents' own words: keep the newest few hundred, so made-up ids cannot grow this.
    this.#seen.delete(req.agentId);
    this.#seen.set(req.agentId, { key, at: now });
    if (this.#seen.size > MAX_REMEMBERED_AGENTS) this.#seen.delete(this.#seen.keys().next().value!);
  }
}

/** A lease id names the runtime and agent it was handed to, and cannot be guessed. */
function newLeaseId(runtime: string, agentId: string): string {
  return `agent:${runtime}:${agentId}:${randomBytes(12).toString('base64url')}`;
}

function lost(id: string): ConflictError {
  return new ConflictError(
    `The lease on job ${id} is no longer this agent's (it expired and was taken over, or the job ended).`,
    { hints: ['Nothing to do: the job is finished by whoever holds it now.'] },
  );
}
