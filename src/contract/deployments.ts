import * as z from 'zod';
import { BuildBrief, CommitBrief } from './briefs.js';

/**
 * Deployment observations: what a runtime's observer (inside `imagetrail agent`, or any tool holding the
 * runtime's token) sends to `POST /api/v1/runtimes/{runtime}/observations`, and what the deployment API
 * answers. Browser-safe: zod only.
 *
 * The unit is a *group*: the pods of one workload (in one namespace, attributed to one Argo CD application
 * or none) that run one image digest. The control plane turns groups into intervals (first seen, last seen,
 * ended). Every batch carries states, not increments, so applying one twice changes nothing.
 */

const Text = (max: number) => z.string().max(max);
const Name = Text(253).min(1);
const Iso = z.iso.datetime({ offset: true });
export const Digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 lowercase hex digits>');

/** What identifies a group (and its open interval) within a runtime. */
export const DeploymentKey = z
  .object({
    namespace: Name,
    /** The top-level owner: Deployment, StatefulSet, DaemonSet, CronJob, Job, Rollout, or Pod when unowned. */
    workloadKind: Text(100).min(1),
    workloadName: Name,
    /** Argo CD application instance name (`<app>` or `<app-namespace>_<app>`), `''` when none. */
    application: Text(300),
    /** Canonical registry host and repository, from the container's resolved `imageID`. */
    registry: Text(256).min(1),
    repository: Text(256).min(1),
    /** The digest the container runtime resolved (`status.containerStatuses[].imageID`). */
    digest: Digest,
  })
  .strict();
export type DeploymentKey = z.infer<typeof DeploymentKey>;

/** What the observer knows of the Argo CD Application, when the Application object is visible to it. */
export const ApplicationFacts = z
  .object({
    project: Text(253).optional(),
    destination: z
      .object({ server: Text(1024).optional(), name: Text(253).optional(), namespace: Text(253).optional() })
      .strict()
      .optional(),
    syncRevision: Text(256).optional(),
    syncStatus: Text(64).optional(),
    health: Text(64).optional(),
  })
  .strict();
export type ApplicationFacts = z.infer<typeof ApplicationFacts>;

export const ObservedGroup = DeploymentKey.extend({
  /** Pods of the group running a container of this digest. */
  replicas: z.number().int().min(0).max(1_000_000),
  /** The earliest `state.running.startedAt` among those containers. */
  firstStartedAt: Iso,
  /** The image as the pod spec names it (often a tag), for display. */
  image: Text(1024).optional(),
  containers: z.array(Text(253)).max(100).optional(),
  app: ApplicationFacts.optional(),
}).strict();
export type ObservedGroup = z.infer<typeof ObservedGroup>;

export const ObservedRemoval = DeploymentKey.extend({
  /** When the last container of the group was seen gone (before the observer's debounce). */
  endedAt: Iso,
}).strict();
export type ObservedRemoval = z.infer<typeof ObservedRemoval>;

export const MAX_GROUPS_PER_BATCH = 500;
/**
 * A batch's JSON size the observer keeps under (it splits parts by count and by size): below the API's
 * request body limit, so a full state of realistic groups never meets a 413 it could only retry.
 */
export const MAX_OBSERVATION_BATCH_BYTES = 192 * 1024;
/**
 * Open intervals one runtime may hold: far above a cluster's workloads × digests (a 5,000-pod, 300-workload
 * cluster holds ~300), low enough that a broken or hostile agent cannot fill the store through one runtime.
 */
export const MAX_OPEN_INTERVALS_PER_RUNTIME = 50_000;
/**
 * Replicas of one runtime's agent all watch the same cluster (one runtime = one cluster): one observer
 * reports at a time. It holds the runtime's observation lease while it sends (a batch, or an empty delta
 * as a heartbeat, at least every third of this); another observer's batch is answered `standby` until
 * the holder releases it or stays silent this long.
 */
export const OBSERVER_LEASE_MS = 60_000;

export const ObservationBatch = z
  .object({
    /** One id per observer process; a new id means the observer restarted. */
    observerId: Text(100).regex(/^[\w.-]+$/, 'letters, digits, . _ -'),
    /** Increases by one per batch of that observer; a batch at or below the last applied one is a replay. */
    sequence: z.number().int().min(0),
    observedAt: Iso,
    /**
     * `delta`: these groups changed (upserts) or are gone (removals). `full`: the complete state, possibly in
     * parts sharing `observedAt`; after the part marked `last`, every open interval of the runtime that no part
     * named is closed.
     */
    kind: z.enum(['delta', 'full']),
    last: z.boolean().optional(),
    upserts: z.array(ObservedGroup).max(MAX_GROUPS_PER_BATCH),
    removals: z.array(ObservedRemoval).max(MAX_GROUPS_PER_BATCH).default([]),
    /** The observer stops: after applying this batch, another observer of the runtime may take over. */
    release: z.boolean().optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.kind === 'full' && b.removals.length > 0)
      ctx.addIssue({ code: 'custom', path: ['removals'], message: 'a full state has no removals' });
  });
export type ObservationBatch = z.input<typeof ObservationBatch>;

export const ObservationResult = z.object({
  applied: z.boolean(),
  /** The batch was a replay (sequence already applied): nothing changed. */
  duplicate: z.boolean(),
  opened: z.number().int(),
  updated: z.number().int(),
  closed: z.number().int(),
  /** Digests nobody reported, queued for enrichment on this runtime. */
  discovered: z.number().int(),
  /**
   * Another observer of this runtime holds the lease: nothing was applied; this observer waits (its
   * informers warm) and sends a full state once it takes over.
   */
  standby: z.boolean().optional(),
});
export type ObservationResult = z.infer<typeof ObservationResult>;

// ---- read side -----------------------------------------------------------------------------------

export const DeploymentInterval = DeploymentKey.extend({
  id: z.string(),
  runtime: z.string(),
  image: z.string().optional(),
  replicas: z.number().int(),
  firstSeenAt: z.string(),
  lastSeenAt: z.string(),
  endedAt: z.string().optional(),
  app: ApplicationFacts.optional(),
  /** The image record this digest belongs to (directly, or as a platform of an index), when known. */
  imageId: z.string().optional(),
});
export type DeploymentInterval = z.infer<typeof DeploymentInterval>;

export const DeploymentListQuery = z
  .object({
    runtime: Text(100).optional(),
    application: Text(300).optional(),
    namespace: Text(253).optional(),
    digest: Digest.optional(),
    /** `true`: only what runs now; `false`: only ended intervals. */
    active: z.enum(['true', 'false']).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    cursor: Text(512).optional(),
  })
  .strict();
export type DeploymentListQuery = z.input<typeof DeploymentListQuery>;

// The read models are the wire answers: the server builds them, the CLI and the dashboard parse them. An
// answer's interval may carry fields a newer server added, so the clients' parse does not reject them.
const IntervalAnswer = DeploymentInterval.loose();

export const DeploymentPage = z.object({ items: z.array(IntervalAnswer), nextCursor: z.string().optional() });
export type DeploymentPage = z.infer<typeof DeploymentPage>;

/** Commit time → first running, in seconds: the DORA lead time for changes of one digest in one application. */
export const LeadTime = z.object({
  digest: z.string(),
  application: z.string(),
  commitSha: z.string().optional(),
  commitTime: z.string(),
  firstRunningAt: z.string(),
  seconds: z.number(),
});
export type LeadTime = z.infer<typeof LeadTime>;

/** The longest period a lead-time query may name in days: ten years. */
export const MAX_PERIOD_DAYS = 3650;

export const LeadTimeQuery = z
  .object({
    runtime: Text(100).optional(),
    application: Text(300).optional(),
    since: Iso.optional(),
    until: Iso.optional(),
    /** The last N days up to now: a period the dashboard and CLI name without clocks; not with since/until. */
    days: z.coerce.number().int().min(1).max(MAX_PERIOD_DAYS).optional(),
  })
  .strict()
  .superRefine((q, ctx) => {
    if (q.days !== undefined && (q.since !== undefined || q.until !== undefined))
      ctx.addIssue({ code: 'custom', path: ['days'], message: 'give either days or since/until, not both' });
    if (q.since && q.until && Date.parse(q.since) > Date.parse(q.until))
      ctx.addIssue({ code: 'custom', path: ['since'], message: 'must not be after until' });
  });
export type LeadTimeQuery = z.input<typeof LeadTimeQuery>;

export const DeploymentFrequency = z.object({
  application: z.string(),
  /** Distinct digests first running in the application during the period. */
  deployments: z.number().int(),
  /** deployments / days of the period, when the period has a start. */
  perDay: z.number().optional(),
});
export type DeploymentFrequency = z.infer<typeof DeploymentFrequency>;

export const LeadTimeReport = z.object({
  since: z.string().optional(),
  until: z.string().optional(),
  /** Lead time per digest (and application), oldest first; digests whose build has no commit time are left out. */
  items: z.array(LeadTime),
  medianSeconds: z.number().optional(),
  frequency: z.array(DeploymentFrequency),
});
export type LeadTimeReport = z.infer<typeof LeadTimeReport>;

export const RunningImage = z.object({
  interval: IntervalAnswer,
  tags: z.array(z.string()),
  build: BuildBrief.optional(),
  git: CommitBrief.extend({ time: z.string().optional() }).optional(),
  pullRequests: z.array(z.object({ number: z.number(), title: z.string(), url: z.string() })),
  issues: z.array(z.object({ key: z.string(), title: z.string(), url: z.string() })),
  discoveredInCluster: z.boolean(),
});
export type RunningImage = z.infer<typeof RunningImage>;

export const ApplicationSummary = z.object({
  application: z.string(),
  runtimes: z.array(z.string()),
  namespaces: z.array(z.string()),
  runningDigests: z.number(),
  replicas: z.number(),
  lastChangeAt: z.string(),
  app: ApplicationFacts.loose().optional(),
  /** With `include=running`: the digests it runs now and what went into each (one request for the page). */
  running: z.array(RunningImage).optional(),
});
export type ApplicationSummary = z.infer<typeof ApplicationSummary>;
export const ApplicationList = z.object({ items: z.array(ApplicationSummary) });

/** `GET /deployments/applications`: the deployment filters that apply, and what to include per item. */
export const ApplicationListQuery = DeploymentListQuery.extend({
  include: z.enum(['running']).optional(),
}).strict();
export type ApplicationListQuery = z.input<typeof ApplicationListQuery>;

export const ApplicationView = ApplicationSummary.extend({
  running: z.array(RunningImage),
  /** Every interval of the application, newest first: what replaced what, when. */
  timeline: z.array(IntervalAnswer),
  leadTime: LeadTimeReport,
});
export type ApplicationView = z.infer<typeof ApplicationView>;

/** What the image detail adds: where its digest (or a platform of it) runs now, and ran before. */
export const ImageDeployments = z.object({
  running: z.array(IntervalAnswer),
  history: z.array(IntervalAnswer),
  discoveredInCluster: z.object({ runtime: z.string(), at: z.string() }).optional(),
  leadTime: LeadTime.optional(),
});
export type ImageDeployments = z.infer<typeof ImageDeployments>;
