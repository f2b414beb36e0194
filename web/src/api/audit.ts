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

// The sign-in answer is part of the shared contract (src/contract/session.ts).
export { SessionView } from '../../../src/contract/session.js';
