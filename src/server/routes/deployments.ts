import { Hono } from 'hono';
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
  r.get('/', async (c) => c.json(await service(deps).list(c.req.query())));
  r.get('/applications', async (c) => c.json(await service(deps).applications(c.req.query())));
  r.get('/applications/:name', async (c) =>
    c.json(await service(deps).application(c.req.param('name'), c.req.query())),
  );
  r.get('/lead-time', async (c) => c.json(await service(deps).leadTime(c.req.query())));
  return r;
}
