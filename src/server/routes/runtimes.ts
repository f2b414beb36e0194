import { Hono } from 'hono';
import { parseInput } from '../../domain/parse.js';
import { ResourceName } from '../../domain/names.js';
import type { AppDeps, AppEnv } from '../app.js';
import { actorOf, jsonBody } from './body.js';

export function runtimeRoutes(deps: AppDeps): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.get('/', (c) => c.json({ items: deps.runtimes.list() }));
  r.post('/', async (c) => c.json(await deps.runtimes.add(await jsonBody(c), actorOf(c)), 201));
  r.get('/:name', (c) =>
    c.json(deps.runtimes.get(parseInput(ResourceName, c.req.param('name'), 'runtime name'))),
  );
  return r;
}
