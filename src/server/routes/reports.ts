import { Hono } from 'hono';
import type { AppDeps, AppEnv } from '../app.js';
import { jsonBody } from './body.js';

export function reportRoutes(deps: AppDeps): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.post('/', async (c) => {
    const body = await jsonBody(c);
    const res = await deps.reports.accept(body, c.get('principal'), c.req.header('idempotency-key'));
    const report = await deps.reports.get(res.id);
    c.header('Location', `/api/v1/image-reports/${res.id}`);
    return c.json({ ...report, links: { self: `/api/v1/image-reports/${res.id}` } }, 202);
  });
  r.get('/', async (c) => c.json(await deps.reports.list(c.req.query())));
  r.get('/:id', async (c) => c.json(await deps.reports.get(c.req.param('id'))));
  return r;
}
