import { AuthMethods, SessionView } from '../../../src/contract/session.js';

/**
 * The dashboard's side of single sign-on (docs/sso.md). The session itself is an HttpOnly cookie the
 * script never sees; the script reads only the CSRF cookie and echoes it in `X-CSRF-Token` on every API
 * call, which the server demands for changes made with the session.
 */

const CSRF_COOKIES = ['__Host-imagetrail_csrf', 'imagetrail_csrf'];

export function csrfToken(): string | null {
  for (const part of document.cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name && CSRF_COOKIES.includes(name)) return rest.join('=');
  }
  return null;
}

/** Which sign-ins the server offers; on any failure, the token sign-in only. */
export type { AuthMethods };

export async function authMethods(signal?: AbortSignal): Promise<AuthMethods> {
  try {
    const res = await fetch('/auth/methods', { cache: 'no-store', ...(signal ? { signal } : {}) });
    const parsed = AuthMethods.safeParse(await res.json());
    return parsed.success ? parsed.data : { token: true, sso: null };
  } catch {
    return { token: true, sso: null };
  }
}

/**
 * The SSO session this browser holds, if any: asked quietly (a 401 here is "not signed in", not "your
 * session expired"), and only trusted when the server says it came from SSO.
 */
export async function currentSsoSession(): Promise<SessionView | null> {
  try {
    const res = await fetch('/api/v1/session', {
      cache: 'no-store',
      headers: { Accept: 'application/json' },
    });
    if (!res.ok) return null;
    const parsed = SessionView.safeParse(await res.json());
    return parsed.success && parsed.data.via === 'sso' ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Ends the SSO session on the server (best effort: the dashboard forgets it either way). */
export async function ssoSignOut(): Promise<void> {
  const csrf = csrfToken();
  await fetch('/api/v1/session', {
    method: 'DELETE',
    headers: csrf ? { 'X-CSRF-Token': csrf } : {},
  }).catch(() => undefined);
}
