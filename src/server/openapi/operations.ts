import * as z from 'zod';
import { ImageListQuery, ImageReportInput } from '../../contract/images.js';
import { ReportListParams } from '../../enrichment/report-list.js';
import {
  CreateIntegrationInput,
  DeleteIntegrationInput,
  EditIntegrationInput,
  TestDraftInput,
} from '../../integrations/input.js';
import { ResourceName } from '../../domain/names.js';
import { AddRuntimeInput } from '../../runtimes/runtime-service.js';
import { AuditQuery } from '../routes/audit.js';
import { InspectInput } from '../routes/inspect.js';
import { CreateToken } from '../routes/tokens.js';
import {
  ClaimRequest,
  CompleteRequest,
  LeaseRequest,
  LeaveRequest,
  RegisterRequest,
  RegistrationTokenRequest,
  TaskCompleteRequest,
} from '../../contract/agent-protocol.js';
import {
  ApplicationListQuery,
  DeploymentListQuery,
  LeadTimeQuery,
  ObservationBatch,
} from '../../contract/deployments.js';

/**
 * The registry of `/api/v1` operations the OpenAPI document describes. Each entry points at the zod schema
 * the route itself parses with, so the document cannot drift from the validation; a route mounted without
 * an entry here fails `openapi.test.ts`.
 */
export interface Operation {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** Below `/api/v1`, OpenAPI style: `{param}`. */
  path: string;
  summary: string;
  tag: string;
  /** Scopes that may call it (admin may call everything). */
  scopes: string[];
  /** No bearer token needed. */
  public?: boolean;
  /** The JSON request body (required when present). */
  body?: z.ZodType;
  query?: z.ZodObject;
  /** Optional request headers the route reads, with what they do. */
  headers?: Record<string, string>;
  /** The status of a successful answer. */
  success?: 200 | 201 | 202;
  /** Streams each check as NDJSON when asked with `Accept: application/x-ndjson` (routes/stream.ts). */
  streams?: boolean;
}

const READ = ['admin', 'viewer'];
const REPORT_READ = ['report', 'admin', 'viewer'];
const ADMIN = ['admin'];
const RuntimeQuery = z.object({ runtime: ResourceName.optional() }).strict();

/** The runtime agents' protocol (src/contract/agent-protocol.ts; docs/runtime-agent.md). */
const AGENT: string[] = ['runtime:<name>'];
const AGENT_OPERATIONS: Operation[] = [
  {
    method: 'post',
    path: '/agent/register',
    summary: 'Register an agent (Bearer = one-time registration token); returns the runtime credential',
    tag: 'agents',
    scopes: [],
    public: true,
    body: RegisterRequest,
    success: 201,
  },
  {
    method: 'post',
    path: '/agent/claim',
    summary: "Long-poll for the caller runtime's jobs",
    tag: 'agents',
    scopes: AGENT,
    body: ClaimRequest,
  },
  ...(['renew', 'release'] as const).map((what): Operation => ({
    method: 'post',
    path: `/agent/jobs/{id}/${what}`,
    summary: what === 'renew' ? "Renew a job's lease" : 'Hand a job back (agent stopping)',
    tag: 'agents',
    scopes: AGENT,
    body: LeaseRequest,
  })),
  {
    method: 'post',
    path: '/agent/jobs/{id}/complete',
    summary: "Send a job's result (idempotent by job and lease)",
    tag: 'agents',
    scopes: AGENT,
    body: CompleteRequest,
  },
  {
    method: 'post',
    path: '/agent/leave',
    summary: 'Say the agent is stopping (its jobs finished or handed back): shown stopped at once',
    tag: 'agents',
    scopes: AGENT,
    body: LeaveRequest,
  },
  {
    method: 'post',
    path: '/agent/tasks/{id}/renew',
    summary: "Renew a connection test's or inspection's lease while the agent works on it",
    tag: 'agents',
    scopes: AGENT,
    body: LeaseRequest,
  },
  {
    method: 'post',
    path: '/agent/tasks/{id}/complete',
    summary: "Send a connection test's or inspection's result (idempotent by task and lease)",
    tag: 'agents',
    scopes: AGENT,
    body: TaskCompleteRequest,
  },
  {
    method: 'get',
    path: '/agent/snapshot',
    summary: 'The integrations the runtime may see, sealed as in Git',
    tag: 'agents',
    scopes: AGENT,
    query: z.object({ runtime: ResourceName }),
  },
];

export const OPERATIONS: readonly Operation[] = [
  {
    method: 'get',
    path: '/openapi.json',
    summary: 'This OpenAPI document',
    tag: 'meta',
    scopes: [],
    public: true,
  },
  {
    method: 'post',
    path: '/image-reports',
    summary: 'Report an image (queued for enrichment)',
    tag: 'reports',
    scopes: ['report', 'runtime:<name>', 'admin'],
    body: ImageReportInput,
    headers: {
      'Idempotency-Key':
        'A retry with the same key and body returns the first report instead of a second one.',
    },
    success: 202,
  },
  {
    method: 'get',
    path: '/image-reports',
    summary: 'List image reports, newest first',
    tag: 'reports',
    scopes: REPORT_READ,
    query: ReportListParams,
  },
  {
    method: 'get',
    path: '/image-reports/{id}',
    summary: 'One image report',
    tag: 'reports',
    scopes: REPORT_READ,
  },
  {
    method: 'get',
    path: '/images',
    summary: 'List enriched images',
    tag: 'images',
    scopes: REPORT_READ,
    query: ImageListQuery,
  },
  { method: 'get', path: '/images/{id}', summary: 'One enriched image', tag: 'images', scopes: REPORT_READ },
  {
    method: 'post',
    path: '/inspect',
    summary: "An image's registry facts (nothing stored)",
    tag: 'images',
    scopes: ['report', 'admin'],
    body: InspectInput,
  },
  { method: 'get', path: '/integrations', summary: 'List integrations', tag: 'integrations', scopes: READ },
  {
    method: 'post',
    path: '/integrations',
    summary: 'Create an integration (tested, then committed)',
    tag: 'integrations',
    scopes: ADMIN,
    body: CreateIntegrationInput,
    success: 201,
    streams: true,
  },
  {
    method: 'post',
    path: '/integrations/test',
    summary: 'Test a draft integration before saving it',
    tag: 'integrations',
    scopes: ADMIN,
    body: TestDraftInput,
    streams: true,
  },
  {
    method: 'get',
    path: '/integrations/{name}',
    summary: 'One integration',
    tag: 'integrations',
    scopes: READ,
  },
  {
    method: 'patch',
    path: '/integrations/{name}',
    summary: 'Edit an integration',
    tag: 'integrations',
    scopes: ADMIN,
    body: EditIntegrationInput,
    streams: true,
  },
  {
    method: 'delete',
    path: '/integrations/{name}',
    summary: 'Delete an integration',
    tag: 'integrations',
    scopes: ADMIN,
    body: DeleteIntegrationInput,
  },
  {
    method: 'post',
    path: '/integrations/{name}/test',
    summary: 'Test a saved integration',
    tag: 'integrations',
    scopes: ADMIN,
    query: RuntimeQuery,
    streams: true,
  },
  { method: 'get', path: '/runtimes', summary: 'List runtimes', tag: 'runtimes', scopes: READ },
  {
    method: 'post',
    path: '/runtimes',
    summary: 'Add a runtime',
    tag: 'runtimes',
    scopes: ADMIN,
    body: AddRuntimeInput,
    success: 201,
  },
  { method: 'get', path: '/runtimes/{name}', summary: 'One runtime', tag: 'runtimes', scopes: READ },
  {
    method: 'post',
    path: '/runtimes/{name}/registration-tokens',
    summary: "A one-time registration token for a remote hybrid runtime's agent",
    tag: 'runtimes',
    scopes: ADMIN,
    body: RegistrationTokenRequest,
    success: 201,
  },
  ...AGENT_OPERATIONS,
  {
    method: 'post',
    path: '/runtimes/{runtime}/observations',
    summary: "A runtime's deployment observations (deltas and full states; idempotent)",
    tag: 'deployments',
    scopes: ['runtime:<name>', 'admin'],
    body: ObservationBatch,
  },
  {
    method: 'get',
    path: '/deployments',
    summary: 'Deployment intervals, newest first',
    tag: 'deployments',
    scopes: REPORT_READ,
    query: DeploymentListQuery,
  },
  {
    method: 'get',
    path: '/deployments/applications',
    summary: 'Applications (or workloads) running images now; include=running adds what each runs',
    tag: 'deployments',
    scopes: REPORT_READ,
    query: ApplicationListQuery,
  },
  {
    method: 'get',
    path: '/deployments/applications/{name}',
    summary: 'One application: digests running now with their facts, timeline, lead time',
    tag: 'deployments',
    scopes: REPORT_READ,
    query: LeadTimeQuery,
  },
  {
    method: 'get',
    path: '/deployments/lead-time',
    summary: 'Lead time for changes (commit → first running) and deployment frequency',
    tag: 'deployments',
    scopes: REPORT_READ,
    query: LeadTimeQuery,
  },
  {
    method: 'get',
    path: '/config',
    summary: 'The applied config-repo commit and its problems',
    tag: 'config',
    scopes: ADMIN,
  },
  {
    method: 'post',
    path: '/config/sync',
    summary: 'Fetch and apply the config repository now',
    tag: 'config',
    scopes: ADMIN,
  },
  { method: 'get', path: '/tokens', summary: 'List API tokens', tag: 'tokens', scopes: ADMIN },
  {
    method: 'post',
    path: '/tokens',
    summary: 'Create an API token (the plaintext is shown once)',
    tag: 'tokens',
    scopes: ADMIN,
    body: CreateToken,
    success: 201,
  },
  { method: 'delete', path: '/tokens/{id}', summary: 'Revoke an API token', tag: 'tokens', scopes: ADMIN },
  {
    method: 'get',
    path: '/audit',
    summary: 'The audit trail, newest first',
    tag: 'audit',
    scopes: ADMIN,
    query: AuditQuery,
  },
  {
    method: 'post',
    path: '/session',
    summary: 'Dashboard sign-in: whose token this is',
    tag: 'session',
    scopes: READ,
  },
  {
    method: 'get',
    path: '/session',
    summary: 'Who is signed in (token or SSO session cookie)',
    tag: 'session',
    scopes: READ,
  },
  {
    method: 'delete',
    path: '/session',
    summary: 'Sign out: ends an SSO session (X-CSRF-Token required with the cookie)',
    tag: 'session',
    scopes: READ,
    headers: {
      'X-CSRF-Token': 'The SSO session CSRF token; required on changes made with the session cookie',
    },
  },
];
