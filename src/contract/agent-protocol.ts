import * as z from 'zod';

/**
 * The contract between `imagetrail agent` and the control plane (`/api/v1/agent/…`), defined once and
 * used by both sides. Browser-safe: zod only. Every request carries `protocol`; a control plane answers
 * an agent of another protocol version with a 400 naming both versions (docs/runtime-agent.md).
 *
 * Secrets never travel here in clear: integrations go to the agent sealed exactly as in Git, and the
 * agent's results are registry facts, never credentials.
 *
 * Protocol 2 (issue 11, point 3): a claim may also hand out `test` and `inspect` tasks, answered at
 * `/api/v1/agent/tasks/:id/complete`. Protocol 1 agents cannot read those, so they are refused (400).
 */
export const AGENT_PROTOCOL = 2;

const Name = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'a runtime name: lowercase letters, digits and dashes');
/** Chosen by the agent at first start, kept in its data directory; replicas each have their own. */
const AgentId = z.string().regex(/^[\w.:-]{1,100}$/, 'letters, digits and ._:- (at most 100)');
const Version = z.string().regex(/^\d+\.\d+\.\d+(?:[-+][\w.+-]*)?$/, 'a semantic version such as 0.2.0');
const LeaseId = z.string().regex(/^[\w:.-]{1,300}$/);

export const Protocol = z.object({ protocol: z.number().int().min(1) });

export const AwsIdentity = z.object({
  arn: z.string().min(1).max(2048),
  account: z.string().max(64).optional(),
  userId: z.string().max(256).optional(),
});
export type AwsIdentity = z.infer<typeof AwsIdentity>;

/** `POST /api/v1/agent/register`, Bearer = the one-time registration token. */
export const RegisterRequest = Protocol.extend({
  runtime: Name,
  agentId: AgentId,
  version: Version,
  /** The runtime's age public key; its identity never leaves the agent's data directory. */
  recipient: z.string().regex(/^age1[02-9ac-hj-np-z]{58}$/, 'an age X25519 recipient (age1…)'),
  /** GetCallerIdentity through the default credential chain; null when there is none (no cloud identity). */
  awsIdentity: AwsIdentity.nullable(),
}).strict();
export type RegisterRequest = z.infer<typeof RegisterRequest>;

export const RegisterResponse = z.object({
  protocol: z.literal(AGENT_PROTOCOL),
  runtime: Name,
  /** The runtime credential (scope `runtime:<name>`); shown once, stored hashed by the control plane. */
  credential: z.string().min(1),
  credentialId: z.string().min(1),
  /** The commit that pinned the recipient and re-sealed the runtime's integrations (null: nothing changed). */
  commit: z.string().nullable(),
});
export type RegisterResponse = z.infer<typeof RegisterResponse>;

/** `POST /api/v1/agent/claim`: a long poll for the caller's runtime's work. */
export const ClaimRequest = Protocol.extend({
  runtime: Name,
  agentId: AgentId,
  version: Version,
  awsIdentity: AwsIdentity.nullable().optional(),
  /** How long the control plane may hold the request open when there is no work. */
  waitMs: z.number().int().min(0).max(60_000).default(20_000),
  /** Jobs wanted at most (the agent's free workers). */
  max: z.number().int().min(1).max(32).default(1),
}).strict();
export type ClaimRequest = z.input<typeof ClaimRequest>;

/** A report to enrich: the input as CI sent it. The agent runs the pipeline and sends back the result. */
export const ReportJob = z.object({
  kind: z.literal('report'),
  id: z.string(),
  leaseId: LeaseId,
  attempt: z.number().int().min(1),
  leaseUntil: z.string(),
  leaseMs: z.number().int().min(1),
  runtime: Name,
  createdAt: z.string(),
  input: z.record(z.string(), z.unknown()),
});
export type ReportJob = z.infer<typeof ReportJob>;

/** What every task carries: who holds it, until when the caller waits. */
const TaskBase = z.object({
  id: z.string(),
  leaseId: LeaseId,
  leaseMs: z.number().int().min(1),
  runtime: Name,
  createdAt: z.string(),
  /** The caller stops waiting then; a result after it is refused. */
  expiresAt: z.string(),
});

/**
 * A connection test of integration settings on this runtime. `section` is the type's stored settings with
 * every secret sealed for this runtime's pinned recipient and bound to `name` (as in Git): the agent opens
 * them with its own key.
 */
export const TestTask = TaskBase.extend({
  kind: z.literal('test'),
  test: z.object({
    type: z.string().min(1).max(100),
    name: Name,
    section: z.record(z.string(), z.unknown()),
  }),
});
export type TestTask = z.infer<typeof TestTask>;

/** `imagetrail inspect --runtime`: registry facts of one image through an integration the runtime sees. */
export const InspectTask = TaskBase.extend({
  kind: z.literal('inspect'),
  inspect: z.object({ image: z.string().min(1).max(1024), registryIntegration: Name.optional() }),
});
export type InspectTask = z.infer<typeof InspectTask>;

export const AgentJob = z.discriminatedUnion('kind', [ReportJob, TestTask, InspectTask]);
export type AgentJob = z.infer<typeof AgentJob>;

export const ClaimResponse = z.object({
  protocol: z.literal(AGENT_PROTOCOL),
  jobs: z.array(AgentJob),
  /** The shared configuration's commit: fetch a new snapshot when it differs from the one held. */
  configCommit: z.string().nullable(),
});
export type ClaimResponse = z.infer<typeof ClaimResponse>;

export const LeaseRequest = Protocol.extend({ leaseId: LeaseId }).strict();
export type LeaseRequest = z.infer<typeof LeaseRequest>;

/**
 * `POST /api/v1/agent/leave`: the agent is stopping, its jobs finished or handed back. The runtime shows it
 * stopped at once, not after the "connected" window. Optional: a control plane without it answers 404.
 */
export const LeaveRequest = Protocol.extend({ runtime: Name, agentId: AgentId }).strict();
export type LeaveRequest = z.infer<typeof LeaveRequest>;
export const LeaveResponse = z.object({ protocol: z.literal(AGENT_PROTOCOL), left: z.boolean() });

export const Step = z.object({
  name: z.string().min(1).max(200),
  status: z.enum(['running', 'ok', 'failed', 'skipped']),
  message: z.string().max(4000).optional(),
  at: z.string(),
});

const Image = z.looseObject({
  registry: z.string().min(1),
  repository: z.string().min(1),
  digest: z.string().regex(/^sha\d+:[0-9a-f]{32,128}$/),
});

/** `POST /api/v1/agent/jobs/:id/complete`: idempotent by job and lease (one lease = one attempt). */
export const CompleteRequest = Protocol.extend({
  leaseId: LeaseId,
  attempt: z.number().int().min(1),
  steps: z.array(Step).max(200),
  outcome: z.discriminatedUnion('ok', [
    z.object({
      ok: z.literal(true),
      result: z.looseObject({
        image: Image,
        build: z.looseObject({}),
        git: z.looseObject({}).optional(),
        pullRequests: z.array(z.looseObject({})).optional(),
        issues: z.array(z.looseObject({})).optional(),
      }),
    }),
    z.object({
      ok: z.literal(false),
      message: z.string().min(1).max(4000),
      errorClass: z.string().max(200).optional(),
      retryable: z.boolean(),
    }),
  ]),
}).strict();
export type CompleteRequest = z.infer<typeof CompleteRequest>;

export const CompleteResponse = z.object({
  protocol: z.literal(AGENT_PROTOCOL),
  /** `recorded`: this call took effect; `duplicate`: an earlier call with this lease already did. */
  status: z.enum(['recorded', 'duplicate']),
  report: z.object({ id: z.string(), status: z.string() }),
});

/** One check of a connection test, as the agent ran it (the API's `Check`, bounded). */
const TaskCheck = z.object({
  name: z.string().min(1).max(200),
  ok: z.boolean(),
  message: z.string().max(4000),
  errorClass: z.string().max(200).optional(),
  hints: z.array(z.string().max(1000)).max(20).optional(),
  /** The IAM action an ECR check exercised. */
  action: z.string().max(200).optional(),
  durationMs: z.number().min(0).optional(),
  skipped: z.boolean().optional(),
});

/** A connection test's result: checks and who the credentials act as, never a secret. */
export const TestTaskResult = z.object({
  ok: z.boolean(),
  runtime: z.object({ name: Name, type: z.enum(['hybrid', 'hosted']) }),
  checks: z.array(TaskCheck).max(50),
  identity: z.record(z.string(), z.string().max(2048)).optional(),
});

/** An inspection's result: the image's registry facts (`EnrichedImage`). */
export const InspectTaskResult = Image;

/** `POST /api/v1/agent/tasks/:id/complete`: idempotent by task and lease. */
export const TaskCompleteRequest = Protocol.extend({
  leaseId: LeaseId,
  outcome: z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), result: z.record(z.string(), z.unknown()) }),
    z.object({
      ok: z.literal(false),
      message: z.string().min(1).max(4000),
      errorClass: z.string().max(200).optional(),
      kind: z.string().max(50).optional(),
    }),
  ]),
}).strict();
export type TaskCompleteRequest = z.infer<typeof TaskCompleteRequest>;

export const TaskCompleteResponse = z.object({
  protocol: z.literal(AGENT_PROTOCOL),
  status: z.enum(['recorded', 'duplicate']),
});

/** `GET /api/v1/agent/snapshot?runtime=…`: what the runtime may see, sealed exactly as in Git. */
export const SnapshotResponse = z.object({
  protocol: z.literal(AGENT_PROTOCOL),
  commit: z.string().nullable(),
  /** `runtimes/<name>/runtime.yaml` as a resource. */
  runtime: z.object({ file: z.string(), resource: z.record(z.string(), z.unknown()) }),
  /** The integrations visible to the runtime, after precedence, each with its repository path. */
  integrations: z.array(z.object({ file: z.string(), resource: z.record(z.string(), z.unknown()) })),
});
export type SnapshotResponse = z.infer<typeof SnapshotResponse>;

/** What `runtime list/show`, the API and the dashboard show of a runtime's agents. */
export const AgentView = z.object({
  id: z.string(),
  version: z.string(),
  awsIdentityArn: z.string().nullable(),
  registeredAt: z.string(),
  lastSeenAt: z.string(),
  /** Seen within the last long poll or two, and not stopped since. */
  connected: z.boolean(),
  /** When it said it was stopping (SIGTERM); null while serving or when it went without a word. */
  leftAt: z.string().nullable().optional(),
});
export type AgentView = z.infer<typeof AgentView>;

/** `POST /api/v1/runtimes/:name/registration-tokens` (admin). */
export const RegistrationTokenRequest = z
  .object({
    ttlSeconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3600)
      .default(3600),
  })
  .strict();
export const RegistrationTokenResponse = z.object({
  runtime: z.string(),
  /** One-time; shown once, stored hashed. */
  registrationToken: z.string(),
  expiresAt: z.string(),
});
export type RegistrationTokenResponse = z.infer<typeof RegistrationTokenResponse>;
