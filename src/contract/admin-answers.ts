import * as z from 'zod';
import { AgentView } from './agent-protocol.js';

/**
 * What the administration API answers (runtimes, tokens, audit, configuration repository status): parsed by
 * the CLI and the dashboard, and the type the server routes answer with (`satisfies z.input<…>`). Objects
 * are not strict: a newer server may add fields.
 */

// ---- runtimes ----------------------------------------------------------------------------------------

export const RuntimeView = z.object({
  name: z.string(),
  type: z.enum(['hybrid', 'hosted']),
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
  agents: z.array(AgentView.partial({ registeredAt: true })).optional(),
  queue: z.object({ queued: z.number(), oldestQueuedAt: z.string().nullable() }).optional(),
  waiting: z.string().optional(),
});
export type RuntimeView = z.infer<typeof RuntimeView>;
export const RuntimeList = z.object({ items: z.array(RuntimeView) });

/** A one-time registration token for a remote hybrid runtime's agent. */
export const Registration = z.object({
  runtime: z.string(),
  registrationToken: z.string(),
  expiresAt: z.string(),
});
export type Registration = z.infer<typeof Registration>;

export const RuntimeAdded = z.object({
  runtime: RuntimeView,
  commit: z.string().nullable(),
  keyFile: z.string().optional(),
  keyGenerated: z.boolean().optional(),
  registration: Registration.optional(),
});

// ---- tokens -------------------------------------------------------------------------------------------

export const TokenInfo = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(z.string()),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export const TokenList = z.object({ items: z.array(TokenInfo) });
/** The plaintext token is in this answer only. */
export const TokenCreated = z.object({ id: z.string(), token: z.string() });
export const TokenRevoked = z.object({ revoked: z.literal(true) });

// ---- audit --------------------------------------------------------------------------------------------

export const AuditItem = z.object({
  id: z.string(),
  at: z.string(),
  actor: z.object({ id: z.string(), name: z.string() }).nullable(),
  action: z.string(),
  target: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
});
export type AuditItem = z.infer<typeof AuditItem>;
export const AuditPage = z.object({ items: z.array(AuditItem), nextCursor: z.string().nullable() });

// ---- configuration repository ---------------------------------------------------------------------------

export const ConfigStatus = z.object({
  commit: z.string().nullable(),
  problems: z.array(
    z.object({ file: z.string(), path: z.string(), message: z.string(), severity: z.string() }),
  ),
});
export type ConfigStatus = z.infer<typeof ConfigStatus>;

// ---- probes --------------------------------------------------------------------------------------------

/** `GET /readyz` (200 ready, 503 not): `reasons` say what is not. */
export const Readiness = z.object({
  status: z.string(),
  checks: z.record(z.string(), z.object({ ok: z.boolean(), message: z.string().optional() })).optional(),
  reasons: z.array(z.string()).optional(),
});
