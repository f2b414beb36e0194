import { Hono } from 'hono';
import type { z } from 'zod';
import type * as contract from '../../contract/integrations.js';
import { parseInput } from '../../domain/parse.js';
import { ResourceName } from '../../domain/names.js';
import type { AppDeps, AppEnv } from '../app.js';
import { actorOf, jsonBody } from './body.js';
import { streamChecks, wantsStream } from './stream.js';

/** What these routes answer is what the shared contract says clients parse (checked at compile time). */
type Answer<S extends z.ZodType> = z.input<S>;

export function integrationRoutes(deps: AppDeps): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const svc = deps.integrations;
  const name = (v: string) => parseInput(ResourceName, v, 'integration name');

  r.get('/', async (c) =>
    c.json({ items: await svc.listWithCommits() } satisfies Answer<typeof contract.IntegrationList>),
  );

  r.post('/', async (c) => {
    const body = await jsonBody(c);
    const actor = actorOf(c);
    if (wantsStream(c)) return streamChecks(c, deps.redactor, (onCheck) => svc.create(body, actor, onCheck));
    return c.json((await svc.create(body, actor)) satisfies Answer<typeof contract.MutationResult>, 201);
  });

  // A draft test runs before anything is committed (the dashboard's "Test connection").
  r.post('/test', async (c) => {
    const body = await jsonBody(c);
    const actor = actorOf(c);
    if (wantsStream(c))
      return streamChecks(c, deps.redactor, (onCheck) => svc.testDraft(body, actor, onCheck));
    const result: Answer<typeof contract.TestResult> = await svc.testDraft(body, actor);
    return c.json(result, result.ok ? 200 : 422);
  });

  r.get('/:name', async (c) =>
    c.json((await svc.get(name(c.req.param('name')))) satisfies Answer<typeof contract.IntegrationView>),
  );

  r.patch('/:name', async (c) => {
    const body = await jsonBody(c);
    const actor = actorOf(c);
    const n = name(c.req.param('name'));
    if (wantsStream(c)) return streamChecks(c, deps.redactor, (onCheck) => svc.edit(n, body, actor, onCheck));
    return c.json((await svc.edit(n, body, actor)) satisfies Answer<typeof contract.MutationResult>);
  });

  r.delete('/:name', async (c) => {
    const body = await jsonBody(c, { optional: true });
    const removed = await svc.delete(name(c.req.param('name')), body, actorOf(c));
    return c.json(removed satisfies Answer<typeof contract.DeleteResult>);
  });

  r.post('/:name/test', async (c) => {
    const n = name(c.req.param('name'));
    const runtime = c.req.query('runtime');
    const rt = runtime === undefined ? undefined : parseInput(ResourceName, runtime, 'runtime name');
    const actor = actorOf(c);
    if (wantsStream(c)) return streamChecks(c, deps.redactor, (onCheck) => svc.test(n, rt, actor, onCheck));
    const result: Answer<typeof contract.TestResult> = await svc.test(n, rt, actor);
    return c.json(result, result.ok ? 200 : 422);
  });

  return r;
}
