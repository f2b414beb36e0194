import * as z from 'zod/mini';

/**
 * How a client authenticates to one registry endpoint.
 * - `none` and `basic` also cover registries that answer `WWW-Authenticate: Bearer …` (Docker Hub, GHCR,
 *   Harbor…): the client then fetches a token from the realm, with the Basic credentials if any.
 * - `ecr`: the raw base64 `authorizationToken` from GetAuthorizationToken, sent as `Basic <token>`.
 *   `getToken(true)` must mint a fresh one (the client asks for that once after a 401); the provider
 *   owns caching and expiry, so `getToken(false)` is cheap.
 */
export type RegistryAuth =
  | { kind: 'none' }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'ecr'; getToken(refresh: boolean): Promise<string> };

export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses one `WWW-Authenticate` value (`Bearer realm="https://…",service="…",scope="repository:a:pull"`).
 * Registries send a single challenge; quoted values may contain commas (multi-action scopes).
 */
export function parseChallenge(header: string | null): AuthChallenge | undefined {
  if (!header) return undefined;
  const m = /^\s*([A-Za-z][\w-]*)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const [, scheme = '', rest = ''] = m;
  const params: Record<string, string> = {};
  const re = /([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?\s*/gy;
  let p: RegExpExecArray | null;
  while ((p = re.exec(rest)) !== null && p[0] !== '') {
    const key = (p[1] ?? '').toLowerCase();
    params[key] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
  }
  return { scheme: scheme.toLowerCase(), params };
}

/** Token endpoint answer (Docker token spec): `token`, or the OAuth2 name `access_token`. */
export const BearerTokenResponse = z
  .object({
    token: z.optional(z.string().check(z.minLength(1))),
    access_token: z.optional(z.string().check(z.minLength(1))),
    expires_in: z.catch(z.optional(z.number().check(z.positive())), undefined),
  })
  .check(z.refine((t) => t.token !== undefined || t.access_token !== undefined, 'no token in the response'));
export type BearerTokenResponse = z.infer<typeof BearerTokenResponse>;

export function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}
