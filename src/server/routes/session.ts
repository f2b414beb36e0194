import { Hono } from 'hono';
import type { SessionView } from '../../contract/session.js';
import type { AppDeps, AppEnv } from '../app.js';
import type { SsoDeps } from './sso.js';
import { clearSessionCookies, sessionCookie } from '../sso/session-auth.js';
import { recordAudit } from './audit.js';

/**
 * `/api/v1/session`: who is signed in to the dashboard.
 * - `POST`: the token sign-in. The token stays in the browser (every request carries it); this call checks
 *   it, says whom it belongs to, and puts the sign-in on the audit trail. Nothing is created server-side.
 * - `GET`: whom the current credentials belong to — how the dashboard finds an SSO session (cookie).
 * - `DELETE`: sign-out; ends an SSO session in the store (a token has nothing to end).
 */
export function sessionRoutes(deps: Pick<AppDeps, 'audit'> & { sso?: SsoDeps }): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.post('/', async (c) => {
    const p = c.get('principal');
    await recordAudit(deps.audit, c, 'session.sign-in', p.id, {
      name: p.name,
      client: 'dashboard',
    });
    return c.json({ id: p.id, name: p.name, scopes: p.scopes } satisfies SessionView);
  });
  r.get('/', (c) => {
    const p = c.get('principal');
    const via = c.get('ssoUser') ? 'sso' : 'token';
    return c.json({ id: p.id, name: p.name, scopes: p.scopes, via } satisfies SessionView);
  });
  r.delete('/', async (c) => {
    const sso = deps.sso;
    if (!sso || !c.get('ssoUser')) return c.body(null, 204);
    const id = sessionCookie(c, sso.settings.secureCookies);
    if (id) await sso.sessions.deleteSession(id);
    clearSessionCookies(c, sso.settings.secureCookies);
    await recordAudit(deps.audit, c, 'session.sign-out', c.get('principal').id, { method: 'sso' });
    return c.body(null, 204);
  });
  return r;
}
