import { InputError, NotAllowedError, NotFoundError } from '../domain/errors.js';
import { parseInput } from '../domain/parse.js';
import type { ConfigRepo } from '../config-repo/workspace.js';
import { parseReference } from '../integrations/registry/oci/reference.js';
import type { Principal } from '../store/token-store.js';
import type { EnqueueResult, ReportHandoff, ReportStore } from '../store/report-store.js';
import { hasScope } from '../store/token-store.js';
import { idempotencyScope, reusedKey } from './idempotency.js';
import { ImageReportInput, type ReportView } from '../contract/images.js';
import { chooseRegistryIntegration } from './registry-choice.js';
import { listReports, type ReportPage } from './report-list.js';
import { runtimeOrLocal } from './default-runtime.js';

export interface ReportServiceDeps {
  reports: ReportStore;
  repo: Pick<ConfigRepo, 'snapshot'>;
  /** Undefined on a server without an in-process runtime (--no-local-runtime): reports must name one. */
  localRuntime: string | undefined;
  /**
   * Called after a report is persisted, to wake the runner and count it (`created`: not a replay;
   * `handedOver`: a waiting claim already has it, nobody else needs waking).
   */
  onAccepted?: (accepted: { runtime: string; created: boolean; handedOver: boolean }) => void;
  /** A claim of `runtime`'s agents waiting on this replica, set aside for the report (agent-dispatch.ts). */
  handoff?: (runtime: string) => ReportHandoff | null;
}

/**
 * Report intake. A report is validated, then persisted as a job before the caller hears "accepted": from
 * then on a crash cannot lose it. Mistakes the caller can fix (a bad reference, an unknown runtime) are
 * refused now, with a 400, instead of becoming failed jobs.
 */
export class ReportService {
  constructor(private readonly deps: ReportServiceDeps) {}

  async accept(
    raw: unknown,
    principal: Principal,
    idempotencyKey?: string,
  ): Promise<{ id: string; created: boolean; runtime: string; report: ReportView }> {
    const input = parseInput(ImageReportInput, raw, 'image report');
    const ref = parseReference(input.image);
    const runtime = runtimeOrLocal(input.runtime, this.deps.localRuntime);
    if (!(hasScope(principal, 'report') || hasScope(principal, `runtime:${runtime}`))) {
      throw new NotAllowedError(
        `The token "${principal.name}" may not report images for runtime "${runtime}": it needs the report scope or runtime:${runtime}.`,
        { hints: ['Use a token created with --scope report, or the runtime token of that runtime.'] },
      );
    }
    const snap = this.deps.repo.snapshot();
    if (!snap.runtimes.has(runtime)) {
      throw new InputError(`No runtime named "${runtime}".`, {
        details: [{ path: 'runtime', message: `runtime "${runtime}" does not exist` }],
        hints: [
          "Leave CF_RUNTIME_NAME unset to use the server's own runtime, or see: imagetrail runtime list",
        ],
      });
    }
    chooseRegistryIntegration(snap, runtime, input.registryIntegration, ref);
    if (idempotencyKey !== undefined && !/^[\w.:-]{1,200}$/.test(idempotencyKey)) {
      throw new InputError('Idempotency-Key must be 1–200 characters of letters, digits and ._:-');
    }
    const handoff = this.deps.handoff?.(runtime) ?? null;
    let written: EnqueueResult;
    try {
      written = await this.deps.reports.enqueue(input, {
        runtime,
        ...(idempotencyKey ? { idempotencyKey, idempotencyScope: idempotencyScope(principal, runtime) } : {}),
        ...(handoff ? { lease: handoff.lease } : {}),
      });
    } catch (err) {
      handoff?.cancel();
      throw err;
    }
    const { id, created, differentInput, report, claimed } = written;
    if (claimed) handoff?.deliver(claimed);
    else handoff?.cancel();
    if (differentInput) throw reusedKey(principal, id);
    this.deps.onAccepted?.({ runtime, created, handedOver: claimed !== undefined });
    return { id, created, runtime, report };
  }

  list(query: unknown): Promise<ReportPage> {
    return listReports(this.deps.reports, query);
  }

  async get(id: string): Promise<ReportView> {
    const r = /^[\w-]{1,100}$/.test(id) ? await this.deps.reports.get(id) : null;
    if (!r) throw new NotFoundError(`No image report with id "${id}".`);
    return r;
  }
}
