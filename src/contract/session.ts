import * as z from 'zod';

/**
 * The sign-in contract between the server (src/server/routes/session.ts, routes/sso.ts) and the dashboard
 * (web/src/api/sso.ts). Browser-safe: zod only.
 */

/** `POST` and `GET /api/v1/session`: whom the credentials belong to. */
export const SessionView = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(z.string()),
  /** `sso` for a cookie session from single sign-on; `token` for a bearer token (absent from `POST`). */
  via: z.enum(['token', 'sso']).optional(),
});
export type SessionView = z.infer<typeof SessionView>;

/** `GET /auth/methods` (public): which sign-ins the server offers. */
export const AuthMethods = z.object({
  token: z.boolean(),
  sso: z.object({ loginUrl: z.string().startsWith('/') }).nullable(),
});
export type AuthMethods = z.infer<typeof AuthMethods>;
