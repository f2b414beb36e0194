import * as z from 'zod';
import { ErrorBody } from '../../../src/contract/errors.js';
import { Check } from '../../../src/contract/integrations.js';
import { ImageDeployments } from './deployments.js';
import type {
  ImageDetail as ImageDetailModel,
  ImageSummary as ImageSummaryModel,
} from '../../../src/contract/images.js';

/**
 * What the dashboard accepts from the API. Every response goes through one of these schemas before the
 * UI reads it (no `as` casts of JSON). Objects are not strict: a newer server may add fields.
 */

// ---- errors ------------------------------------------------------------------------------------------

// The error body is the shared contract's (src/contract/errors.ts).
export { ErrorBody } from '../../../src/contract/errors.js';
export const ErrorPayload = ErrorBody.shape.error;
export type ErrorPayload = z.infer<typeof ErrorPayload>;

// ---- runtimes ----------------------------------------------------------------------------------------

export const RuntimeType = z.enum(['hybrid', 'hosted']);

export const RuntimeView = z.object({
  name: z.string(),
  type: RuntimeType,
  version: z.string(),
  recipient: z.string(),
  description: z.string().optional(),
  inProcess: z.boolean(),
  integrations: z.array(
    z.object({
      name: z.string(),
      type: z.string(),
      mode: z.string(),
      source: z.enum(['all-runtimes', 'runtime']),
      available: z.boolean(),
      reason: z.string().optional(),
    }),
  ),
  /** Remote hybrid runtimes only: their agents, queued work, and why work waits. */
  agents: z
    .array(
      z.object({
        id: z.string(),
        version: z.string(),
        awsIdentityArn: z.string().nullable(),
        lastSeenAt: z.string(),
        connected: z.boolean(),
      }),
    )
    .optional(),
  queue: z.object({ queued: z.number(), oldestQueuedAt: z.string().nullable() }).optional(),
  waiting: z.string().optional(),
});
export type RuntimeView = z.infer<typeof RuntimeView>;
export const RuntimeList = z.object({ items: z.array(RuntimeView) });

// ---- integrations and connection tests (the shared contract, src/contract/integrations.ts) ------------

export {
  Check,
  DeleteResult,
  IntegrationList,
  IntegrationView,
  MutationResult,
  TestResult,
} from '../../../src/contract/integrations.js';

/** One NDJSON line of a streamed test or mutation. The error may carry the failed test's result. */
export const StreamLine = z.discriminatedUnion('type', [
  z.object({ type: z.literal('check'), check: Check }),
  z.object({ type: z.literal('result'), result: z.unknown() }),
  z.object({
    type: z.literal('error'),
    error: ErrorPayload.extend({ result: z.unknown().optional() }),
  }),
]);
export type StreamLine = z.infer<typeof StreamLine>;

// ---- images (contract: src/enrichment/model.ts) --------------------------------------------------------

const Person = z.object({
  name: z.string().optional(),
  email: z.string().optional(),
  login: z.string().optional(),
});

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
  latestBuild: z
    .object({
      workflowName: z.string().optional(),
      workflowUrl: z.string().optional(),
      reportedAt: z.string(),
    })
    .optional(),
  git: z
    .object({
      repo: z.string().optional(),
      branch: z.string().optional(),
      sha: z.string().optional(),
      message: z.string().optional(),
    })
    .optional(),
  issues: z.array(z.string()),
  updatedAt: z.string(),
  /** Places running it now (issue 13), when the server tracks deployments. */
  deployedIn: z.number().optional(),
});
export type ImageSummary = z.infer<typeof ImageSummary>;

export const ImageList = z.object({ items: z.array(ImageSummary), nextCursor: z.string().optional() });
export type ImageList = z.infer<typeof ImageList>;

const Platform = PlatformBrief.extend({ digest: z.string(), size: z.number(), mediaType: z.string() });
const Layer = z.object({ digest: z.string(), size: z.number(), mediaType: z.string() });
const Referrer = z.object({
  digest: z.string(),
  kind: z.string(),
  artifactType: z.string().optional(),
  mediaType: z.string(),
  tag: z.string().optional(),
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
  config: z
    .object({
      os: z.string().optional(),
      architecture: z.string().optional(),
      historyCount: z.number(),
      env: z.array(z.string()).optional(),
      labelsFrom: z.object({ digest: z.string(), platform: z.string() }).optional(),
    })
    .optional(),
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

// Compile-time contract check: whatever the server's model allows, these schemas accept.
type Accepts<Schema extends z.ZodType, Model> = Model extends z.input<Schema> ? true : never;
/** @public A compile-time check, read by nothing at run time. */
export const contractChecks: [
  Accepts<typeof ImageSummary, ImageSummaryModel>,
  Accepts<typeof ImageDetail, ImageDetailModel>,
] = [true, true];

// ---- image reports (contract: ReportView in src/enrichment/model.ts) -------------------------------------

export const ReportView = z.object({
  id: z.string(),
  status: z.enum(['queued', 'running', 'succeeded', 'failed']),
  attempts: z.number(),
  image: z.string(),
  runtime: z.string().nullable(),
  error: z.object({ message: z.string(), errorClass: z.string().optional() }).optional(),
  result: z.object({ imageId: z.string(), digest: z.string() }).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ReportView = z.infer<typeof ReportView>;
export const ReportList = z.object({ items: z.array(ReportView), nextCursor: z.string().optional() });
