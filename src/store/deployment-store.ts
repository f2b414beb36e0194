import type {
  DeploymentInterval,
  DeploymentKey,
  DeploymentPage,
  ObservationBatch,
  ObservationResult,
} from '../contract/deployments.js';

/**
 * The deployment-interval port (`sql-deployment-store.ts`). An interval is one key (runtime, namespace,
 * workload, application, registry/repository/digest) from its first running container to the moment its
 * last container was seen gone. At most one interval per key is open.
 */

/** A digest seen running, as the registry knows it. */
export interface RunningDigest {
  registry: string;
  repository: string;
  digest: string;
}

export type ApplyResult = Omit<ObservationResult, 'discovered'> & {
  /** Digests of the batch that match no image record (directly or as a platform) and were never discovered. */
  unknown: RunningDigest[];
};

export interface DeploymentFilter {
  runtime?: string;
  application?: string;
  namespace?: string;
  digest?: string;
  active?: boolean;
  workloadKind?: string;
  workloadName?: string;
}

/** The image-list filters on deployments (`deployed`, `application`, `runtime`, `namespace`). */
export interface DeploymentListFilter extends Omit<
  DeploymentFilter,
  'digest' | 'active' | 'workloadKind' | 'workloadName'
> {
  /** true: running now; false: not running now. */
  deployed?: boolean;
}

export interface DiscoveredImage extends RunningDigest {
  runtime: string;
  integration?: string;
  reportId?: string;
  problem?: string;
  discoveredAt: string;
}

export interface DeploymentStore {
  /** One transaction; a replayed batch (same observer, sequence not above the last) changes nothing. */
  apply(runtime: string, batch: ObservationBatch & { removals: DeploymentKey[] }): Promise<ApplyResult>;
  list(filter: DeploymentFilter, page: { limit: number; cursor?: string }): Promise<DeploymentPage>;
  /** Intervals of any of these digests in this registry/repository, newest first. */
  forDigests(registry: string, repository: string, digests: readonly string[]): Promise<DeploymentInterval[]>;
  /** Every interval of an application (or of a workload without one), newest first (bounded). */
  forApplication(filter: DeploymentFilter, limit: number): Promise<DeploymentInterval[]>;
  /** Open intervals grouped by application. */
  openIntervals(filter: DeploymentFilter, limit: number): Promise<DeploymentInterval[]>;
  recordDiscovered(d: DiscoveredImage): Promise<boolean>;
  discovered(registry: string, repository: string, digest: string): Promise<DiscoveredImage | null>;
  /** The image record a running digest belongs to: itself, or the index that lists it as a platform. */
  imageIdOf(d: RunningDigest): Promise<string | null>;
  /**
   * imageIdOf and discovered of many digests at once (a few statements per 500), keyed
   * `registry/repository@digest`.
   */
  runningLookups(ds: readonly RunningDigest[]): Promise<RunningLookups>;
}

export interface RunningLookups {
  imageIds: Map<string, string>;
  discovered: Set<string>;
}
export const runningKey = (d: RunningDigest) => `${d.registry}/${d.repository}@${d.digest}`;
