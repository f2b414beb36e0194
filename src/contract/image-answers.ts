import * as z from 'zod';
import { BuildBrief, CommitBrief } from './briefs.js';
import { Person } from './images.js';
import type {
  ImageDetail as ImageDetailModel,
  ImageSummary as ImageSummaryModel,
  ReportView as ReportViewModel,
} from './images.js';
import { ImageDeployments } from './deployments.js';
import type { Accepts } from './accepts.js';

/**
 * What the image and report API answers look like on the wire: the CLI and the dashboard parse every answer
 * with these, never cast it. Objects are not strict (a newer server may add fields); a missing or mistyped
 * field is a version skew the clients name. The server's read models (./images.ts) are checked against
 * them at compile time below.
 */

const PlatformBrief = z.object({ os: z.string(), architecture: z.string(), variant: z.string().optional() });

export const ImageSummary = z.object({
  id: z.string(),
  registry: z.string(),
  repository: z.string(),
  digest: z.string(),
  mediaType: z.string(),
  tags: z.array(z.string()),
  size: z.number(),
  createdAt: z.string().optional(),
  pushedAt: z.string().optional(),
  platforms: z.array(PlatformBrief),
  latestBuild: BuildBrief.optional(),
  git: CommitBrief.optional(),
  issues: z.array(z.string()),
  updatedAt: z.string(),
  /** Places (runtime, namespace, workload, application) running it now (issue 13), on list pages. */
  deployedIn: z.number().optional(),
});
export type ImageSummary = z.infer<typeof ImageSummary>;

export const ImageList = z.object({ items: z.array(ImageSummary), nextCursor: z.string().optional() });
export type ImageList = z.infer<typeof ImageList>;

const PlatformConfig = z.object({
  created: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  env: z.array(z.string()).optional(),
});
const Platform = PlatformBrief.extend({
  digest: z.string(),
  size: z.number(),
  mediaType: z.string(),
  config: PlatformConfig.optional(),
});
const Layer = z.object({ digest: z.string(), size: z.number(), mediaType: z.string() });
const Referrer = z.object({
  digest: z.string(),
  kind: z.string(),
  artifactType: z.string().optional(),
  mediaType: z.string(),
  tag: z.string().optional(),
});
const ConfigSummary = z.object({
  os: z.string().optional(),
  architecture: z.string().optional(),
  historyCount: z.number(),
  env: z.array(z.string()).optional(),
  labelsFrom: z.object({ digest: z.string(), platform: z.string() }).optional(),
});
const GitFacts = z.object({
  provider: z.string().optional(),
  repo: z.string().optional(),
  branch: z.string().optional(),
  sha: z.string().optional(),
  message: z.string().optional(),
  author: Person.optional(),
  committer: Person.optional(),
  time: z.string().optional(),
  url: z.string().optional(),
  parents: z.array(z.string()).optional(),
});
const PullRequest = z.object({
  number: z.number(),
  title: z.string(),
  url: z.string(),
  state: z.string(),
  author: z.string().optional(),
  mergedAt: z.string().optional(),
});

export const ImageDetail = ImageSummary.extend({
  registryType: z.string(),
  registrySize: z.number().optional(),
  platformsDetail: z.array(Platform),
  layers: z.array(Layer),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  config: ConfigSummary.optional(),
  scan: z
    .object({
      status: z.string().optional(),
      completedAt: z.string().optional(),
      severityCounts: z.record(z.string(), z.number()),
    })
    .optional(),
  referrers: z.array(Referrer),
  builds: z.array(
    z.object({
      id: z.string(),
      workflowName: z.string().optional(),
      workflowUrl: z.string().optional(),
      logsUrl: z.string().optional(),
      ciType: z.string().optional(),
      dockerfile: z.string().optional(),
      runtime: z.string(),
      reportId: z.string(),
      reportedAt: z.string(),
      git: GitFacts.optional(),
    }),
  ),
  commits: z.array(GitFacts.extend({ pullRequests: z.array(PullRequest) })),
  issueDetails: z.array(
    z.object({
      key: z.string(),
      title: z.string(),
      status: z.string(),
      statusCategory: z.string().optional(),
      assignee: z.string().optional(),
      url: z.string(),
    }),
  ),
  deployments: ImageDeployments.optional(),
});
export type ImageDetail = z.infer<typeof ImageDetail>;

/** `POST /api/v1/inspect`: registry facts of one image, nothing stored. */
export const InspectFacts = z.object({
  reference: z.string().optional(),
  registry: z.string(),
  repository: z.string(),
  digest: z.string(),
  mediaType: z.string(),
  size: z.number(),
  platforms: z.array(Platform),
  layers: z.array(Layer),
  referrers: z.array(Referrer),
  config: ConfigSummary.extend({ created: z.string().optional() }).partial().optional(),
  createdAt: z.string().optional(),
  tags: z.array(z.string()).optional(),
  tagsPartial: z.boolean().optional(),
});
export type InspectFacts = z.infer<typeof InspectFacts>;

// ---- image reports ---------------------------------------------------------------------------------------

export const ReportView = z.object({
  id: z.string(),
  status: z.enum(['queued', 'running', 'succeeded', 'failed']),
  attempts: z.number(),
  image: z.string(),
  runtime: z.string().nullable(),
  error: z.object({ message: z.string(), errorClass: z.string().optional() }).optional(),
  steps: z.array(
    z.object({
      name: z.string(),
      status: z.enum(['running', 'ok', 'failed', 'skipped']),
      message: z.string().optional(),
      at: z.string(),
    }),
  ),
  result: z.object({ imageId: z.string(), digest: z.string() }).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** On the 202 of `POST /api/v1/image-reports`: where to follow the report. */
  links: z.object({ self: z.string() }).optional(),
});
export type ReportView = z.infer<typeof ReportView>;
export const ReportList = z.object({ items: z.array(ReportView), nextCursor: z.string().optional() });
export type ReportList = z.infer<typeof ReportList>;

/** @public A compile-time check, read by nothing at run time: whatever the server's models allow, these accept. */
export const imageContractChecks: [
  Accepts<typeof ImageSummary, ImageSummaryModel>,
  Accepts<typeof ImageDetail, ImageDetailModel>,
  Accepts<typeof ReportView, ReportViewModel>,
] = [true, true, true];
