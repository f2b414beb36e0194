import * as z from 'zod';

/** What the dashboard accepts from `GET /api/v1/audit` and `POST /api/v1/session` (src/server/routes). */

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

export const SessionView = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(z.string()),
  /** `sso` for a cookie session from single sign-on (GET /api/v1/session says so); absent for a token. */
  via: z.enum(['token', 'sso']).optional(),
});
export type SessionView = z.infer<typeof SessionView>;
