import { Hono } from 'hono';
import type * as z from 'zod';
import type { ReportList, ReportView } from '../../contract/image-answers.js';
import type { AppDeps, AppEnv } from '../app.js';
import { jsonBody } from './body.js';

export function reportRoutes(deps: AppDeps): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.post('/', async (c) => {
    const body = await jsonBody(c);
    const res = await deps.reports.accept(body, c.get('principal'), c.req.header('idempotency-key'));
    const { report } = res;
    c.header('Location', `/api/v1/image-reports/${res.id}`);
    const links = { self: `/api/v1/image-reports/${res.id}` };
    return c.json({ ...report, links } satisfies z.input<typeof ReportView>, 202);
  });
  r.get('/', async (c) =>
    c.json((await deps.reports.list(c.req.query())) satisfies z.input<typeof ReportList>),
  );
  r.get('/:id', async (c) =>
    c.json((await deps.reports.get(c.req.param('id'))) satisfies z.input<typeof ReportView>),
  );
  return r;
}
