import * as z from 'zod';
import { ResourceName } from '../domain/names.js';
import type { Logger } from '../logging/logger.js';
import type { Redactor } from '../logging/redactor.js';
import { DEFAULT_MAX_ISSUE_KEYS } from '../enrichment/issue-enricher.js';
import type { OidcOptions } from './sso/settings.js';

export const ServeOptions = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  host: z.string().min(1).default('127.0.0.1'),
  dataDir: z.string().min(1).default('.imagetrail'),
  /** Write the discovery pointer in the user's config directory (serve on the default data directory). */
  registerPointer: z.boolean().default(false),
  /** Local path or Git URL (`URL[/sub/path][?ref=branch]`); default: a local repo in the data directory. */
  configRepo: z.string().min(1).optional(),
  /** `sqlite:FILE` or `postgres://…`; default: SQLite in the data directory. */
  database: z.string().min(1).optional(),
  runtimeName: ResourceName.default('local'),
  /** False (`--no-local-runtime`): no in-process hybrid runtime; hosted runtimes still run here. */
  localRuntime: z.boolean().default(true),
  syncIntervalSeconds: z.coerce.number().min(0).default(60),
  awsRequestTimeoutMs: z.coerce.number().int().min(100).max(300_000).default(10_000),
  awsMaxAttempts: z.coerce.number().int().min(1).max(10).default(3),
  /** Reports enriched at once by this server. */
  reportConcurrency: z.coerce.number().int().min(1).max(256).default(8),
  /** A running report whose worker has been silent this long is taken over (the worker died). */
  reportLeaseMs: z.coerce.number().int().min(500).max(3_600_000).default(60_000),
  reportPollMs: z.coerce.number().int().min(50).max(60_000).default(1000),
  /** How long a connection test or inspection on a remote hybrid runtime waits for its agent. */
  agentTaskTimeoutMs: z.coerce.number().int().min(1000).max(600_000).default(60_000),
  reportRetryBaseMs: z.coerce.number().int().min(10).max(600_000).default(2000),
  /** `--allow-endpoint`: hosts credentials may be sent to over http, or as non-AWS ECR API/STS endpoints. */
  allowEndpoints: z.array(z.string()).default([]),
  /** Jira issue keys looked up per report (CI writes the text they are found in). */
  maxIssueKeys: z.coerce.number().int().min(1).max(1000).default(DEFAULT_MAX_ISSUE_KEYS),
  /** The URL clients reach this server at; Codefresh's client is told to send reports there. */
  publicUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** Dashboard single sign-on; see src/server/sso/settings.ts. */
  oidc: z.custom<OidcOptions>((v) => typeof v === 'object' && v !== null).optional(),
  /** Shared secrets of replicas, from files outside the data directory (docs/replicas.md). */
  identityFile: z.string().min(1).optional(),
  localRuntimeIdentityFile: z.string().min(1).optional(),
  adminTokenFile: z.string().min(1).optional(),
  /** `--trusted-proxy`: peers whose X-Forwarded-For names the client (the auth slow-down keys on it). */
  trustedProxies: z.array(z.string()).default([]),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type ServeOptions = z.input<typeof ServeOptions>;
export type Opts = z.output<typeof ServeOptions>;
/** What every part of one server process logs and redacts through. */
export type Ctx = { redactor: Redactor; logger: Logger };
