import {
  ApplicationListQuery,
  DeploymentListQuery,
  LeadTimeQuery,
  ObservationBatch,
  type ApplicationSummary,
  type ApplicationView,
  type DeploymentPage,
  type ImageDeployments,
  type LeadTimeReport,
  type ObservationResult,
} from '../contract/deployments.js';
import type { ConfigSnapshot } from '../config-repo/snapshot.js';
import { NotAllowedError, NotFoundError } from '../domain/errors.js';
import { parseInput } from '../domain/parse.js';
import type { ImageDetail } from '../contract/images.js';
import { hasScope } from '../store/token-store.js';
import type { DeploymentStore } from '../store/deployment-store.js';
import type { ImageStore } from '../store/image-store.js';
import type { ReportStore } from '../store/report-store.js';
import type { Principal } from '../store/token-store.js';
import { discover } from './discovery.js';
import {
  applicationView,
  leadTimes,
  summarizeApplications,
  summarizeWithRunning,
  type Period,
} from './deployment-views.js';

export interface DeploymentServiceDeps {
  store: DeploymentStore;
  images: Pick<ImageStore, 'get'>;
  reports: Pick<ReportStore, 'enqueue'>;
  repo: { snapshot(): Pick<ConfigSnapshot, 'integrations' | 'runtimes'> };
  /** Wakes the report runner after a discovered image was queued. */
  onQueued?: () => void;
  now?: () => Date;
}

/**
 * Deployment tracking on the control plane: observation intake (deltas and full states from a runtime's
 * observer), intervals, and the read models (image detail, applications, lead time).
 */
/**
 * Open intervals the applications list reads with include=running (5,000 without): each distinct digest
 * among them costs an image detail read, so a cluster's size does not set a request's cost.
 */
export const RUNNING_LIMIT = 1000;

export class DeploymentService {
  private readonly now: () => Date;
  constructor(private readonly deps: DeploymentServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async observe(runtime: string, raw: unknown, principal: Principal): Promise<ObservationResult> {
    // Checked before anything else, so a token of another runtime learns nothing about this one.
    if (!hasScope(principal, `runtime:${runtime}`)) {
      throw new NotAllowedError(
        `The token "${principal.name}" may not report deployments for runtime "${runtime}": it needs the runtime:${runtime} scope.`,
        { hints: ['Each runtime reports only its own cluster, with its own runtime token.'] },
      );
    }
    if (!this.deps.repo.snapshot().runtimes.has(runtime)) {
      throw new NotFoundError(`No runtime named "${runtime}".`, {
        hints: ['See the runtimes with: imagetrail runtime list'],
      });
    }
    const batch = parseInput(ObservationBatch, raw, 'observation batch');
    const applied = await this.deps.store.apply(runtime, batch);
    const { unknown, ...result } = applied;
    const found = await discover(
      {
        store: this.deps.store,
        reports: this.deps.reports,
        snapshot: () => this.deps.repo.snapshot(),
        now: this.now,
      },
      runtime,
      unknown,
    );
    if (found.queued > 0) this.deps.onQueued?.();
    return { ...result, discovered: found.queued };
  }

  list(raw: unknown): Promise<DeploymentPage> {
    const q = parseInput(DeploymentListQuery, raw, 'deployment query');
    return this.deps.store.list(
      {
        ...(q.runtime !== undefined ? { runtime: q.runtime } : {}),
        ...(q.application !== undefined ? { application: q.application } : {}),
        ...(q.namespace !== undefined ? { namespace: q.namespace } : {}),
        ...(q.digest !== undefined ? { digest: q.digest } : {}),
        ...(q.active !== undefined ? { active: q.active === 'true' } : {}),
      },
      { limit: q.limit, ...(q.cursor !== undefined ? { cursor: q.cursor } : {}) },
    );
  }

  /** Running now and history of an image: its own digest and its platforms'. */
  async forImage(image: ImageDetail): Promise<ImageDeployments> {
    const digests = [image.digest, ...image.platformsDetail.map((p) => p.digest)];
    const all = await this.deps.store.forDigests(image.registry, image.repository, digests);
    const out: ImageDeployments = {
      running: all.filter((i) => i.endedAt === undefined),
      history: all.filter((i) => i.endedAt !== undefined),
    };
    const d = await this.deps.store.discovered(image.registry, image.repository, image.digest);
    if (d) out.discoveredInCluster = { runtime: d.runtime, at: d.discoveredAt };
    const lead = await leadTimes(this.views(), all, { now: this.now() });
    if (lead.items[0]) out.leadTime = lead.items[0];
    return out;
  }

  async applications(raw: unknown): Promise<{ items: ApplicationSummary[] }> {
    const q = parseInput(ApplicationListQuery, raw, 'application query');
    const open = await this.deps.store.openIntervals(
      {
        ...(q.runtime !== undefined ? { runtime: q.runtime } : {}),
        ...(q.namespace !== undefined ? { namespace: q.namespace } : {}),
      },
      q.include === 'running' ? RUNNING_LIMIT : 5000,
    );
    if (q.include === 'running') return { items: await summarizeWithRunning(this.views(), open) };
    return { items: summarizeApplications(open) };
  }

  async application(name: string, raw: unknown): Promise<ApplicationView> {
    const q = parseInput(LeadTimeQuery, raw, 'application query');
    let timeline = await this.deps.store.forApplication({ application: name }, 500);
    // A workload without an application is listed as `<namespace>/<kind>/<name>`: its row opens too.
    const workload = /^([^/]+)\/([^/]+)\/([^/]+)$/.exec(name);
    if (timeline.length === 0 && workload) {
      const [, namespace = '', workloadKind = '', workloadName = ''] = workload;
      const filter = { application: '', namespace, workloadKind, workloadName };
      timeline = await this.deps.store.forApplication(filter, 500);
    }
    if (timeline.length === 0)
      throw new NotFoundError(`No deployments of application "${name}" have been observed.`);
    return applicationView(this.views(), name, timeline, this.period(q));
  }

  async leadTime(raw: unknown): Promise<LeadTimeReport> {
    const q = parseInput(LeadTimeQuery, raw, 'lead time query');
    const page = await this.deps.store.list(
      {
        ...(q.runtime !== undefined ? { runtime: q.runtime } : {}),
        ...(q.application !== undefined ? { application: q.application } : {}),
      },
      { limit: 500 },
    );
    return leadTimes(this.views(), page.items, this.period(q));
  }

  /** `days=N` is the N days up to now; the report then names the bounds it used. */
  private period(q: { since?: string; until?: string; days?: number }): Period {
    const now = this.now();
    if (q.days !== undefined)
      return {
        since: new Date(now.getTime() - q.days * 86_400_000).toISOString(),
        until: now.toISOString(),
        now,
      };
    return { ...(q.since ? { since: q.since } : {}), ...(q.until ? { until: q.until } : {}), now };
  }

  private views() {
    return { store: this.deps.store, images: this.deps.images };
  }
}
