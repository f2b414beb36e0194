import { Hono } from 'hono';
import { parseInput } from '../../domain/parse.js';
import { ResourceName } from '../../domain/names.js';
import type { AppDeps, AppEnv } from '../app.js';
import { recordAudit } from './audit.js';
import { actorOf, jsonBody } from './body.js';

export function runtimeRoutes(deps: AppDeps): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.get('/', (c) => c.json({ items: deps.runtimes.list() }));
  r.post('/', async (c) => {
    const added = await deps.runtimes.add(await jsonBody(c), actorOf(c));
    const { name, type, version, recipient } = added.runtime;
    await recordAudit(deps.audit, c, 'runtime.add', name, {
      type,
      version,
      recipient,
      commit: added.commit,
      keyGenerated: added.keyFile !== undefined,
    });
    return c.json(added, 201);
  });
  r.get('/:name', (c) =>
    c.json(deps.runtimes.get(parseInput(ResourceName, c.req.param('name'), 'runtime name'))),
  );
  return r;
}
