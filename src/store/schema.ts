import type { ColumnType } from 'kysely';

/**
 * The one Kysely schema of the store, shared by SQLite and PostgreSQL. Only types both engines have:
 * timestamps are ISO 8601 UTC text (`Date#toISOString()`), which sorts correctly as text on both, and
 * JSON is stored as text so neither engine's JSON type leaks into the queries.
 */

export interface ApiTokensTable {
  id: string;
  name: string;
  /** SHA-256 of the plaintext token, lowercase hex; the plaintext is never stored. */
  token_hash: string;
  /** JSON array of scopes, e.g. `["report","runtime:local"]`. */
  scopes: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface AuditEventsTable {
  id: string;
  at: string;
  /** The API token that acted; null for the server itself (bootstrap, scheduled work). */
  actor_token_id: string | null;
  /** A person signed in through SSO (`sso:<subject>`) when no token acted; null otherwise. */
  actor_user_id: string | null;
  actor_user_name: string | null;
  action: string;
  target: string | null;
  /** JSON object. */
  detail: string;
}

/**
 * A 64-bit integer (image sizes pass 2 GiB). `pg` returns int8 as a string to keep precision, SQLite as a
 * number; readers convert with `Number()` (sizes stay far below 2^53).
 */
export type Int8 = ColumnType<string | number, number, number>;

/**
 * The image's `updated_at`, copied onto a child row so a list filter reads its first page from one index
 * (migration 0008). Optional on insert only for rows written before 0008 (migration tests); the image store
 * sets it on every write and rewrites it whenever the image's `updated_at` changes.
 */
export type ImageUpdatedAtCopy = ColumnType<string, string | undefined, string>;

/** Durable report jobs (DESIGN: "accepted = persisted"). */
export interface ImageReportsTable {
  /** Time-sortable, so ordering by id is ordering by acceptance. */
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  /** JSON of ImageReportInput. */
  input: string;
  runtime: string | null;
  attempts: number;
  max_attempts: number;
  lease_owner: string | null;
  lease_until: string | null;
  /**
   * When the job may next be claimed: for a queued job its (re)try time, for a running job its lease expiry
   * (a worker that stops heartbeating is presumed dead), null once finished. One column, one index, one
   * claim condition.
   */
  next_attempt_at: string | null;
  error_message: string | null;
  error_class: string | null;
  /** JSON array of ReportStep. */
  steps: string;
  result_image_id: string | null;
  result_digest: string | null;
  /** Keys of reports accepted before migration 0003; no longer written. */
  idempotency_key: string | null;
  /** Idempotency: the key is unique within its scope (who accepted the report, for which runtime). */
  idem_scope: string | null;
  idem_key: string | null;
  /** SHA-256 of the report's content, to refuse a reused key with other content. */
  input_hash: string | null;
  created_at: string;
  updated_at: string;
  /** The reported reference (also inside `input`), for the list filter. Null only before migration 0003. */
  image: string | null;
}

export interface ImagesTable {
  id: string;
  registry: string;
  repository: string;
  digest: string;
  media_type: string;
  size: Int8;
  registry_size: Int8 | null;
  pushed_at: string | null;
  /** Config `created`. */
  created_at: string | null;
  registry_type: string;
  /** JSON objects/arrays; `config` and `scan` may be null. */
  labels: string;
  annotations: string;
  config: string | null;
  scan: string | null;
  layers: string;
  first_seen_at: string;
  updated_at: string;
}

export interface ImageTagsTable {
  image_id: string;
  tag: string;
  first_seen_at: string;
  image_updated_at: ImageUpdatedAtCopy;
}

export interface ImagePlatformsTable {
  image_id: string;
  /** Order in the index, which is the order users expect to see. */
  position: number;
  digest: string;
  os: string;
  architecture: string;
  variant: string | null;
  size: Int8;
  media_type: string;
  /** JSON of the platform's own config facts (`PlatformConfig`), when read. */
  config: string | null;
}

export interface ImageReferrersTable {
  image_id: string;
  digest: string;
  kind: string;
  artifact_type: string | null;
  media_type: string;
  tag: string | null;
}

export interface BuildsTable {
  id: string;
  image_id: string;
  /** Hash of what identifies a build (workflow, runtime, git), so a repeated report is the same build. */
  build_key: string;
  workflow_name: string | null;
  workflow_url: string | null;
  logs_url: string | null;
  ci_type: string | null;
  runtime: string;
  report_id: string;
  reported_at: string;
  git_provider: string | null;
  git_repo: string | null;
  git_branch: string | null;
  /** Lowercase hex. */
  git_sha: string | null;
  /** CF_DOCKERFILE_CONTENT, decoded (migration 0003). */
  dockerfile: string | null;
  image_updated_at: ImageUpdatedAtCopy;
}

export interface CommitsTable {
  /** `''` when the report named a SHA but no repository. */
  repo: string;
  sha: string;
  provider: string | null;
  message: string | null;
  /** JSON Person. */
  author: string | null;
  committer: string | null;
  time: string | null;
  url: string | null;
  /** JSON array of SHAs. */
  parents: string | null;
  updated_at: string;
}

export interface PullRequestsTable {
  repo: string;
  number: number;
  title: string;
  url: string;
  state: string;
  author: string | null;
  merged_at: string | null;
  updated_at: string;
}

export interface CommitPullRequestsTable {
  repo: string;
  sha: string;
  number: number;
}

export interface IssuesTable {
  key: string;
  title: string;
  status: string;
  status_category: string | null;
  assignee: string | null;
  url: string;
  updated_at: string;
}

export interface BuildIssuesTable {
  build_id: string;
  issue_key: string;
  /** The build's image (migration 0008), so the issue filter's index holds the image. */
  image_id: ColumnType<string, string | undefined, string>;
  image_updated_at: ImageUpdatedAtCopy;
}

export interface RecipientPinsTable {
  owner: string;
  recipient: string;
  source: string;
  pinned_at: string;
}

/** A dashboard sign-in through OpenID Connect that has not come back from the provider yet. */
export interface SsoLoginsTable {
  id_hash: string;
  state: string;
  nonce: string;
  code_verifier: string;
  return_to: string;
  expires_at: string;
}

/** A dashboard session made by an SSO sign-in; the browser holds the id in an HttpOnly cookie. */
export interface SsoSessionsTable {
  id_hash: string;
  csrf_hash: string;
  subject: string;
  name: string;
  /** JSON array of scopes: `["admin"]` or `["viewer"]`. */
  scopes: string;
  created_at: string;
  expires_at: string;
}

export interface DeploymentIntervalsTable {
  id: string;
  runtime: string;
  namespace: string;
  workload_kind: string;
  workload_name: string;
  /** Argo CD application instance name, `''` when none. */
  application: string;
  registry: string;
  repository: string;
  digest: string;
  image: string | null;
  replicas: number;
  first_seen_at: string;
  last_seen_at: string;
  ended_at: string | null;
  /** JSON ApplicationFacts. */
  app: string | null;
  updated_at: string;
}

export interface DeploymentObserversTable {
  runtime: string;
  observer_id: string;
  sequence: Int8;
  last_batch_at: string;
  last_full_at: string | null;
  /** Control-plane time of the holder's last applied batch; null when released (migration 0014). */
  heard_at: string | null;
}

export interface DiscoveredImagesTable {
  registry: string;
  repository: string;
  digest: string;
  runtime: string;
  integration: string | null;
  report_id: string | null;
  problem: string | null;
  discovered_at: string;
}

export interface Database {
  api_tokens: ApiTokensTable;
  audit_events: AuditEventsTable;
  image_reports: ImageReportsTable;
  images: ImagesTable;
  image_tags: ImageTagsTable;
  image_platforms: ImagePlatformsTable;
  image_referrers: ImageReferrersTable;
  builds: BuildsTable;
  commits: CommitsTable;
  pull_requests: PullRequestsTable;
  commit_pull_requests: CommitPullRequestsTable;
  issues: IssuesTable;
  build_issues: BuildIssuesTable;
  recipient_pins: RecipientPinsTable;
  sso_logins: SsoLoginsTable;
  sso_sessions: SsoSessionsTable;
  agent_registrations: AgentRegistrationsTable;
  runtime_agents: RuntimeAgentsTable;
  agent_tasks: AgentTasksTable;
  deployment_intervals: DeploymentIntervalsTable;
  deployment_observers: DeploymentObserversTable;
  discovered_images: DiscoveredImagesTable;
}

/** One-time registration tokens of runtime agents (hash only). */
export interface AgentRegistrationsTable {
  id: string;
  runtime: string;
  token_hash: string;
  expires_at: string;
  used_at: string | null;
  created_at: string;
  /** Who used it (agent id, age recipient) and the credential it got: a lost answer may be retried. */
  used_by_agent?: string | null;
  used_by_recipient?: string | null;
  credential_id?: string | null;
}

/** The agents that serve remote hybrid runtimes, as they last described themselves. */
export interface RuntimeAgentsTable {
  id: string;
  runtime: string;
  version: string;
  aws_arn: string | null;
  registered_at: string;
  last_seen_at: string;
  /** When it said it was stopping; null while serving (migration 0015). */
  left_at?: string | null;
}

/** Connection tests and inspections queued for a remote hybrid runtime's agents (JSON in text columns). */
export interface AgentTasksTable {
  id: string;
  runtime: string;
  kind: string;
  payload: string;
  status: string;
  owner: string | null;
  lease_until: string | null;
  attempts: number;
  result: string | null;
  created_at: string;
  expires_at: string;
}
