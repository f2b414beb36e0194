import { Hono } from 'hono';
import type * as z from 'zod';
import type {
  ApplicationList,
  ApplicationView,
  DeploymentPage,
  LeadTimeReport,
} from '../../contract/deployments.js';
import { UnavailableError } from '../../domain/errors.js';
import type { DeploymentService } from '../../deployments/deployment-service.js';
import type { AppDeps, AppEnv } from '../app.js';
import { jsonBody } from './body.js';

function service(deps: AppDeps): DeploymentService {
  if (!deps.deployments) throw new UnavailableError('Deployment tracking is not enabled on this server.');
  return deps.deployments;
}

/**
 * `POST /runtimes/{runtime}/observations`: mounted ahead of the runtime routes' admin-only writes; the
 * service lets only that runtime's token (or admin) in.
 */
export function observationRoutes(deps: AppDeps): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.post('/:runtime/observations', async (c) =>
    c.json(await service(deps).observe(c.req.param('runtime'), await jsonBody(c), c.get('principal'))),
  );
  return r;
}

export function deploymentRoutes(deps: AppDeps): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.get('/', async (c) =>
    c.json((await service(deps).list(c.req.query())) satisfies z.input<typeof DeploymentPage>),
  );
  r.get('/applications', async (c) => {
    const items = await service(deps).applications(c.req.query());
    return c.json(items satisfies z.input<typeof ApplicationList>);
  });
  r.get('/applications/:name', async (c) => {
    const view = await service(deps).application(c.req.param('name'), c.req.query());
    return c.json(view satisfies z.input<typeof ApplicationView>);
  });
  r.get('/lead-time', async (c) =>
    c.json((await service(deps).leadTime(c.req.query())) satisfies z.input<typeof LeadTimeReport>),
  );
  return r;
}
