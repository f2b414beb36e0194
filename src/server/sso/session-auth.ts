import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import { AuthenticationError, NotAllowedError } from '../../domain/errors.js';
import { csrfMatches, type CreatedSsoSession, type SsoSessionStore } from '../../store/sso-session-store.js';
import type { AuthEnv } from '../auth.js';

/**
 * Cookie sessions for people signed in through SSO, next to bearer tokens for scripts. A request with an
 * `Authorization` header is a token request, untouched by anything here. A request with the session cookie
 * is authenticated by the store; when it changes something (any method but GET/HEAD/OPTIONS) it must also
 * carry the session's CSRF token in `X-CSRF-Token`, which another site can neither read nor forge.
 */

export interface CookieNames {
  session: string;
  csrf: string;
  login: string;
}

/** `__Host-` cookies are Secure, host-only and Path=/ by rule of the browser; plain-http loopback cannot use them. */
export function cookieNames(secure: boolean): CookieNames {
  const p = secure ? '__Host-' : '';
  // The sign-in cookie is scoped to /auth/oidc, which `__Host-` forbids; `__Secure-` still demands Secure.
  return {
    session: `${p}imagetrail_session`,
    csrf: `${p}imagetrail_csrf`,
    login: `${secure ? '__Secure-' : ''}imagetrail_sso_login`,
  };
}

export const CSRF_HEADER = 'X-CSRF-Token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface SessionCookieOptions {
  secure: boolean;
  sessions: SsoSessionStore;
}

export function setSessionCookies(c: Context, secure: boolean, created: CreatedSsoSession): void {
  const names = cookieNames(secure);
  const expires = new Date(created.expiresAt);
  setCookie(c, names.session, created.id, { path: '/', httpOnly: true, sameSite: 'Lax', secure, expires });
  // Readable by the dashboard's script (it copies it into the header); checked against the session's hash.
  setCookie(c, names.csrf, created.csrfToken, {
    path: '/',
    httpOnly: false,
    sameSite: 'Lax',
    secure,
    expires,
  });
}

export function clearSessionCookies(c: Context, secure: boolean): void {
  const names = cookieNames(secure);
  deleteCookie(c, names.session, { path: '/', secure });
  deleteCookie(c, names.csrf, { path: '/', secure });
}

/** The session cookie's value, if the request carries one. */
export function sessionCookie(c: Context, secure: boolean): string | undefined {
  return getCookie(c, cookieNames(secure).session);
}

/**
 * Authenticates by session cookie when there is one and no Authorization header; otherwise hands the request
 * to `bearer` (whose 401 says a token is needed).
 */
export function sessionOrBearer(
  options: SessionCookieOptions,
  bearer: MiddlewareHandler<AuthEnv>,
): MiddlewareHandler<AuthEnv> {
  return createMiddleware<AuthEnv>(async (c, next) => {
    const id = c.req.header('Authorization') ? undefined : sessionCookie(c, options.secure);
    if (id === undefined) return bearer(c, next);
    const session = await options.sessions.findSession(id);
    if (!session) {
      throw new AuthenticationError('Your sign-in session has ended or was signed out.', {
        hints: ['Sign in again from the dashboard.'],
      });
    }
    if (!SAFE_METHODS.has(c.req.method) && !csrfMatches(session, c.req.header(CSRF_HEADER))) {
      throw new NotAllowedError(
        `A change made with a dashboard session needs the session's CSRF token in the ${CSRF_HEADER} header.`,
        { hints: ['Reload the dashboard; scripts should use an API token (Authorization: Bearer) instead.'] },
      );
    }
    const id2 = `sso:${session.subject}`;
    c.set('principal', { id: id2, name: session.name, scopes: session.scopes });
    c.set('ssoUser', { id: id2, name: session.name });
    await next();
  });
}
