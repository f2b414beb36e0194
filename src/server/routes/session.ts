import { Hono } from 'hono';
import type { AppDeps, AppEnv } from '../app.js';
import { recordAudit } from './audit.js';

/**
 * `POST /api/v1/session`: the dashboard's sign-in. The token stays in the browser (the API is stateless,
 * every request carries it); this call checks it, says whom it belongs to, and puts the sign-in on the
 * audit trail. Nothing is created server-side, so there is no sign-out to call.
 */
export function sessionRoutes(deps: Pick<AppDeps, 'audit'>): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.post('/', async (c) => {
    const p = c.get('principal');
    await recordAudit(deps.audit, c, 'session.sign-in', p.id, {
      name: p.name,
      client: 'dashboard',
    });
    return c.json({ id: p.id, name: p.name, scopes: p.scopes });
  });
  return r;
}
