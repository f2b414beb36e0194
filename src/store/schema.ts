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
  action: string;
  target: string | null;
  /** JSON object. */
  detail: string;
}

export interface Database {
  api_tokens: ApiTokensTable;
  audit_events: AuditEventsTable;
}
