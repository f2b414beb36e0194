import type { ConfigSnapshot, IntegrationEntry } from '../config-repo/snapshot.js';
import { registryIntegrationsFor } from '../enrichment/registry-choice.js';
import { parseEcrHost } from '../integrations/registry/ecr/host.js';
import type { DeploymentStore, RunningDigest } from '../store/deployment-store.js';
import type { ReportStore } from '../store/report-store.js';

/**
 * Images nobody reported (issue 13, 3.): a digest found running that matches no image record is queued
 * for enrichment on the runtime that saw it, through the registry integration serving its host there, and
 * remembered as "discovered in cluster" (once: the row's key is the digest).
 */

/** The registry integration of `runtime` that serves `registry`, if any (ECR: same region; by name). */
export function integrationServing(
  snap: Pick<ConfigSnapshot, 'integrations'>,
  runtime: string,
  registry: string,
): IntegrationEntry | undefined {
  const ecr = parseEcrHost(registry);
  return registryIntegrationsFor(snap, runtime).find((e) => {
    const spec = e.resource.spec;
    if (spec.type === 'registry.ecr') return ecr !== undefined && ecr.region === spec.ecr.region;
    return false;
  });
}

export interface DiscoveryDeps {
  store: Pick<DeploymentStore, 'recordDiscovered'>;
  reports: Pick<ReportStore, 'enqueue'>;
  snapshot: () => Pick<ConfigSnapshot, 'integrations'>;
  now: () => Date;
}

/** Queues each unknown digest once; returns how many were queued. */
export async function discover(
  deps: DiscoveryDeps,
  runtime: string,
  unknown: readonly RunningDigest[],
): Promise<{ queued: number; reportIds: string[] }> {
  const reportIds: string[] = [];
  for (const d of unknown) {
    const entry = integrationServing(deps.snapshot(), runtime, d.registry);
    const at = deps.now().toISOString();
    if (!entry) {
      await deps.store.recordDiscovered({
        ...d,
        runtime,
        discoveredAt: at,
        problem: `runtime "${runtime}" has no registry integration serving ${d.registry}`,
      });
      continue;
    }
    const image = `${d.registry}/${d.repository}@${d.digest}`;
    // The idempotency key makes a retry after a crash between the two writes enqueue nothing new.
    const job = await deps.reports.enqueue(
      { image, registryIntegration: entry.name, runtime, workflow: { ciType: 'discovered-in-cluster' } },
      { runtime, idempotencyKey: `discovered:${d.digest}`, idempotencyScope: `cluster@${runtime}` },
    );
    await deps.store.recordDiscovered({
      ...d,
      runtime,
      integration: entry.name,
      reportId: job.id,
      discoveredAt: at,
    });
    if (job.created) reportIds.push(job.id);
  }
  return { queued: reportIds.length, reportIds };
}
