import type { ReportJob } from '../contract/agent-protocol.js';

/**
 * What ends a claim's wait: look at the store (true), nothing to do yet (false), or a report handed over
 * at its intake, already leased to the claim.
 */
export type Wake = boolean | ReportJob;

interface Waiter {
  agentId: string;
  /** Set aside for a report being written: only its hand-over (or a cancel) ends the wait now. */
  reserved: boolean;
  end(wake: Wake): void;
}

/** A claim set aside by `reserve`: the agent it serves, and how to end its wait. */
export interface ReservedClaim {
  agentId: string;
  end(wake: Wake): void;
}

/**
 * The claims waiting on this replica, per runtime, longest waiting first. A reserved claim is out of the
 * line and ignores its timer and its caller's abort: the report written for it is on its way and must be
 * handed over (the claim then hands it back if its caller left) so the lease does not idle to its end.
 */
export class ClaimWaiters {
  readonly #lines = new Map<string, Waiter[]>();

  /**
   * Waits up to `ms` for a wake-up; at the timer, `onTimeout` says whether to look anyway. An abort of
   * `signal` ends the wait with false.
   */
  wait(
    runtime: string,
    agentId: string,
    ms: number,
    onTimeout: () => boolean,
    signal?: AbortSignal,
  ): Promise<Wake> {
    return new Promise((resolve) => {
      const line = this.#lines.get(runtime) ?? [];
      this.#lines.set(runtime, line);
      const waiter: Waiter = {
        agentId,
        reserved: false,
        end: (wake) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', aborted);
          this.leave(runtime, waiter);
          resolve(wake);
        },
      };
      const aborted = () => {
        if (!waiter.reserved) waiter.end(false);
      };
      const timer = setTimeout(() => {
        if (!waiter.reserved) waiter.end(onTimeout());
      }, ms);
      line.push(waiter);
      signal?.addEventListener('abort', aborted);
    });
  }

  /** Wakes the longest-waiting claim of `runtime` to look; false when none waits. */
  wakeFirst(runtime: string): boolean {
    const first = this.#lines.get(runtime)?.[0];
    first?.end(true);
    return first !== undefined;
  }

  /** Wakes every waiting claim to look. */
  wakeAll(): void {
    for (const line of [...this.#lines.values()]) for (const w of [...line]) w.end(true);
  }

  /** Takes the longest-waiting claim of `runtime` out of the line, for a report about to be written for it. */
  reserve(runtime: string): ReservedClaim | null {
    const first = this.#lines.get(runtime)?.[0];
    if (!first) return null;
    first.reserved = true;
    this.leave(runtime, first);
    return { agentId: first.agentId, end: (wake) => first.end(wake) };
  }

  private leave(runtime: string, waiter: Waiter): void {
    const line = this.#lines.get(runtime);
    if (!line) return;
    const i = line.indexOf(waiter);
    if (i >= 0) line.splice(i, 1);
    if (line.length === 0) this.#lines.delete(runtime);
  }
}
