/**
 * What the agent dispatch remembers between requests, so that the requests on a report's critical path
 * (the claim that takes it, the completion that ends it) send no statement the store would answer the same
 * way. The store still decides whether an outcome counts (a completion's UPDATE matches the lease; a claim
 * still takes its job in one statement); a remembered lease only spares the completion reading the job back
 * before it records, so it must never outlive the store's lease. Both are bounded, and per dispatch instance.
 */

/** Past this many entries the oldest are forgotten (they are then asked of the store, as before). */
const MAX_ENTRIES = 4096;

/**
 * Whether a claim of a runtime must look for tasks (connection tests, inspections). Not when a look of
 * that runtime found none since the last task wake-up (queued here, or at another replica and announced),
 * and less than a poll interval ago: a task whose agent stopped comes due again without any wake-up, and
 * is found by the next look after the interval, as an idle claim's poll finds it.
 */
export class TaskLooks {
  #wakes = 0;
  readonly #empty = new Map<string, { wakes: number; at: number }>();

  constructor(
    private readonly intervalMs: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A task was queued for some runtime (or notifications may have been lost): every runtime looks again. */
  woken(): void {
    this.#wakes++;
  }

  needed(runtime: string): boolean {
    const e = this.#empty.get(runtime);
    // The poll's own slack (agent-dispatch.ts `wait`): a look 0.9 interval after the last one counts.
    return !e || e.wakes !== this.#wakes || this.now() - e.at >= this.intervalMs() * 0.9;
  }

  /**
   * Call right before the look; call what it returns with whether the look found a task. A wake-up that
   * comes while the look runs moves the count past the one recorded, so the next claim looks again.
   */
  start(runtime: string): (found: boolean) => void {
    const wakes = this.#wakes;
    const at = this.now();
    return (found) => {
      this.#empty.delete(runtime);
      if (found) return;
      this.#empty.set(runtime, { wakes, at });
      if (this.#empty.size > MAX_ENTRIES) this.#empty.delete(this.#empty.keys().next().value!);
    };
  }
}

export interface HeldLease {
  /** The runtime of the job, as the store said when the claim took it. */
  runtime: string;
}

/**
 * How long before the store's term a remembered lease stops counting. Another replica may take the job
 * once the store's term has passed by its own clock, which may run ahead of this one; past this margin the
 * store is asked, as for any lease not handed out here.
 */
export const LEASE_MEMO_MARGIN_MS = 2000;

/**
 * Report leases this dispatch handed out, by job, while they last: the completion of a lease handed out
 * here need not read the job back to learn its runtime (for the `runtime:NAME` check) and holder. A lease
 * counts until LEASE_MEMO_MARGIN_MS before the store's term, and is forgotten as soon as this dispatch
 * learns it ended (released, renewal refused, completed).
 */
export class HeldLeases {
  readonly #byJob = new Map<string, { leaseId: string; runtime: string; until: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** `leaseUntil`: the store's term of the lease (epoch ms). */
  remember(id: string, leaseId: string, runtime: string, leaseUntil: number): void {
    this.#byJob.delete(id);
    this.#byJob.set(id, { leaseId, runtime, until: leaseUntil - LEASE_MEMO_MARGIN_MS });
    if (this.#byJob.size > MAX_ENTRIES) this.#byJob.delete(this.#byJob.keys().next().value!);
  }

  /** `leaseUntil`: the renewed term, no later than the store's (taken before the renewal's statement). */
  renewed(id: string, leaseId: string, leaseUntil: number): void {
    const held = this.#byJob.get(id);
    if (held?.leaseId === leaseId) held.until = leaseUntil - LEASE_MEMO_MARGIN_MS;
  }

  /** The lease `leaseId` on job `id`, when it is one handed out here and not past its term; else undefined. */
  get(id: string, leaseId: string): HeldLease | undefined {
    const held = this.#byJob.get(id);
    if (!held || held.leaseId !== leaseId || this.now() >= held.until) return undefined;
    return { runtime: held.runtime };
  }

  forget(id: string): void {
    this.#byJob.delete(id);
  }

  get size(): number {
    return this.#byJob.size;
  }
}
