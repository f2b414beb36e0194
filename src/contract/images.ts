import * as z from 'zod';
import { LinkUrl, ResourceName } from '../domain/names.js';

/**
 * The contract of image enrichment, shared by the API (report intake, images), the job runner, the store
 * and the dashboard. What CI sends is `ImageReportInput`; what the pipeline produces is `EnrichedImage` +
 * `BuildFacts` (+ Git, pull requests, issues); what the API serves is `ImageSummary` / `ImageDetail`.
 */

const Text = (max: number) => z.string().max(max);
const GitSha = z.string().regex(/^[0-9a-f]{7,64}$/i, 'must be a hex commit SHA');

export const Person = z.object({
  name: Text(256).optional(),
  email: Text(320).optional(),
  login: Text(100).optional(),
});
export type Person = z.infer<typeof Person>;

// ---- intake ------------------------------------------------------------------------------------

export const ImageReportInput = z
  .object({
    /** CF_IMAGE: the pushed image reference, by tag and/or digest. */
    image: Text(1024).min(1, 'the image reference is required (CF_IMAGE)'),
    /** CF_CONTAINER_REGISTRY_INTEGRATION: the registry integration to look the image up with. */
    registryIntegration: ResourceName.optional(),
    /** CF_RUNTIME_NAME: the runtime that does the work (default: the server's local runtime). */
    runtime: ResourceName.optional(),
    git: z
      .object({
        provider: z.enum(['github', 'gitlab', 'bitbucket', 'bitbucket-server', 'gerrit']).optional(),
        /** `owner/repo` or a clone URL. */
        repo: Text(1024).optional(),
        branch: Text(1024).optional(),
        sha: GitSha.optional(),
        message: Text(64 * 1024).optional(),
        author: Person.optional(),
        committer: Person.optional(),
        /** Commit time, ISO 8601. */
        time: z.iso.datetime({ offset: true }).optional(),
        parents: z.array(GitSha).max(64).optional(),
        /** CF_GIT_INTEGRATION: a `git.github` integration to fetch pull requests with. */
        integration: ResourceName.optional(),
      })
      .strict()
      .optional(),
    issues: z
      .object({
        /** CF_ISSUE_TRACKING_INTEGRATION (or deprecated CF_JIRA_INTEGRATION). */
        integration: ResourceName.optional(),
        /** CF_JIRA_PROJECT_PREFIX: `PROJ,OPS` or `/regex/flags`. */
        projectPrefix: Text(1024).optional(),
        /** CF_JIRA_MESSAGE: text to find issue keys in (besides the commit message and branch). */
        message: Text(64 * 1024).optional(),
        /** CF_JIRA_FAIL_ON_NOT_FOUND */
        failOnNotFound: z.boolean().optional(),
      })
      .strict()
      .optional(),
    workflow: z
      .object({
        name: Text(1024).optional(),
        url: LinkUrl.optional(),
        logsUrl: LinkUrl.optional(),
        /** CF_CI_TYPE: github-actions, gitlab, jenkins, classic, … */
        ciType: Text(64).optional(),
      })
      .strict()
      .optional(),
    /** CF_DOCKERFILE_CONTENT (decoded): the Dockerfile of the build, kept with it. */
    dockerfile: Text(64 * 1024).optional(),
  })
  .strict();
export type ImageReportInput = z.infer<typeof ImageReportInput>;

export const ReportStatus = z.enum(['queued', 'running', 'succeeded', 'failed']);
export type ReportStatus = z.infer<typeof ReportStatus>;

export interface ReportStep {
  name: string;
  status: 'running' | 'ok' | 'failed' | 'skipped';
  message?: string;
  at: string;
}

export interface ReportView {
  id: string;
  status: ReportStatus;
  attempts: number;
  image: string;
  runtime: string | null;
  error?: { message: string; errorClass?: string };
  steps: ReportStep[];
  result?: { imageId: string; digest: string };
  createdAt: string;
  updatedAt: string;
}

// ---- enrichment results --------------------------------------------------------------------------

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  digest: string;
  size: number;
  mediaType: string;
  /** The platform's own config facts, when read. */
  config?: PlatformConfig;
}

/** What one platform image's config says. `env` values of secret-looking names are redacted. */
export interface PlatformConfig {
  created?: string;
  labels?: Record<string, string>;
  env?: string[];
}

/** Config facts of an image; for an index, those of the platform named by `labelsFrom`. */
export interface ConfigSummary {
  os?: string;
  architecture?: string;
  historyCount: number;
  env?: string[];
  /** Index only: the platform image the created time, labels and Env were taken from. */
  labelsFrom?: { digest: string; platform: string };
}

export interface Layer {
  digest: string;
  size: number;
  mediaType: string;
}

export interface Referrer {
  digest: string;
  /** signature | attestation | sbom | artifact */
  kind: string;
  artifactType?: string;
  mediaType: string;
  /** The cosign-style tag it was found under (`sha256-<hex>.sig`), when found that way. */
  tag?: string;
}

export interface ScanSummary {
  status?: string;
  completedAt?: string;
  severityCounts: Record<string, number>;
}

/** Registry facts of one image (a manifest or an index), keyed by registry + repository + digest. */
export interface EnrichedImage {
  registry: string;
  repository: string;
  digest: string;
  mediaType: string;
  /** Tags the registry lists for this digest, plus the reported one. */
  tags: string[];
  /** Manifest + config + layers; for an index, summed over its platforms. */
  size: number;
  /** What the registry reports (ECR imageSizeInBytes), when it differs from the computed size. */
  registrySize?: number;
  pushedAt?: string;
  /** Config `created`. */
  createdAt?: string;
  platforms: Platform[];
  layers: Layer[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  config?: ConfigSummary;
  scan?: ScanSummary;
  referrers: Referrer[];
  /** `registry.ecr` | `registry.oci` … */
  registryType: string;
}

export interface BuildFacts {
  workflowName?: string;
  workflowUrl?: string;
  logsUrl?: string;
  ciType?: string;
  /** The Dockerfile the CI reported (CF_DOCKERFILE_CONTENT). */
  dockerfile?: string;
  runtime: string;
  reportId: string;
  reportedAt: string;
}

export interface GitFacts {
  provider?: string;
  repo?: string;
  branch?: string;
  sha?: string;
  message?: string;
  author?: Person;
  committer?: Person;
  time?: string;
  url?: string;
  parents?: string[];
}

export interface PullRequest {
  number: number;
  title: string;
  url: string;
  state: string;
  author?: string;
  mergedAt?: string;
}

export interface IssueFacts {
  key: string;
  title: string;
  status: string;
  statusCategory?: string;
  assignee?: string;
  url: string;
}

// ---- read models -----------------------------------------------------------------------------------

export interface ImageSummary {
  id: string;
  registry: string;
  repository: string;
  digest: string;
  mediaType: string;
  tags: string[];
  size: number;
  createdAt?: string;
  pushedAt?: string;
  platforms: Array<Pick<Platform, 'os' | 'architecture' | 'variant'>>;
  latestBuild?: { workflowName?: string; workflowUrl?: string; reportedAt: string };
  git?: { repo?: string; branch?: string; sha?: string; message?: string };
  issues: string[];
  updatedAt: string;
  /** Places (runtime, namespace, workload, application) running it now; on list pages (the detail lists them). */
  deployedIn?: number;
}

export interface ImageDetail extends ImageSummary {
  registryType: string;
  registrySize?: number;
  platformsDetail: Platform[];
  layers: Layer[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  config?: ConfigSummary;
  scan?: ScanSummary;
  referrers: Referrer[];
  builds: Array<BuildFacts & { id: string; git?: GitFacts }>;
  commits: Array<GitFacts & { pullRequests: PullRequest[] }>;
  issueDetails: IssueFacts[];
}

export const ImageListQuery = z
  .object({
    repository: Text(256).optional(),
    tag: Text(300).optional(),
    registry: Text(256).optional(),
    branch: Text(1024).optional(),
    commit: Text(64).optional(),
    issue: Text(64).optional(),
    digest: Text(80).optional(),
    /** Deployment filters (issue 13): running now (`true`) or not, and where. */
    deployed: z.enum(['true', 'false']).optional(),
    application: Text(300).optional(),
    runtime: Text(100).optional(),
    namespace: Text(253).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    /** Opaque cursor from the previous page's `nextCursor`. */
    cursor: Text(512).optional(),
  })
  .strict();
export type ImageListQuery = z.infer<typeof ImageListQuery>;

/** What enriching one report yields: recorded by the control plane, whichever runtime produced it. */
export interface PipelineResult {
  image: EnrichedImage;
  build: BuildFacts;
  git?: GitFacts;
  pullRequests?: PullRequest[];
  issues?: IssueFacts[];
}
