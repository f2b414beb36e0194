import { Hono } from 'hono';
import type * as z from 'zod';
import type { Registration, RuntimeAdded, RuntimeList, RuntimeView } from '../../contract/admin-answers.js';
import { parseInput } from '../../domain/parse.js';
import { ResourceName } from '../../domain/names.js';
import type { AppDeps, AppEnv } from '../app.js';
import type { RuntimeService } from '../../runtimes/runtime-service.js';
import { recordAudit } from './audit.js';
import { actorOf, jsonBody } from './body.js';
import { RegistrationTokenRequest } from '../../contract/agent-protocol.js';
import { NotFoundError } from '../../domain/errors.js';

export function runtimeRoutes(deps: AppDeps): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const decorate = <V extends ReturnType<RuntimeService['get']>>(views: V[]) =>
    deps.agents ? deps.agents.decorate(views) : Promise.resolve(views);
  r.get('/', async (c) =>
    c.json({ items: await decorate(deps.runtimes.list()) } satisfies z.input<typeof RuntimeList>),
  );
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
    // A remote hybrid runtime gets its first registration token at once (`imagetrail agent` uses it).
    const agentToken =
      type === 'hybrid' && !added.runtime.inProcess && deps.agents
        ? await deps.agents.issueToken(name, 3600, actorOf(c).id)
        : undefined;
    const answer = agentToken ? { ...added, registration: agentToken } : added;
    return c.json(answer satisfies z.input<typeof RuntimeAdded>, 201);
  });
  r.get('/:name', async (c) => {
    const name = parseInput(ResourceName, c.req.param('name'), 'runtime name');
    const [view] = await decorate([deps.runtimes.get(name)]);
    return c.json(view satisfies z.input<typeof RuntimeView> | undefined);
  });
  r.post('/:name/registration-tokens', async (c) => {
    if (!deps.agents) throw new NotFoundError('This server has no runtime agents.');
    const name = parseInput(ResourceName, c.req.param('name'), 'runtime name');
    const body = parseInput(RegistrationTokenRequest, await jsonBody(c, { optional: true }));
    const registration = await deps.agents.issueToken(name, body.ttlSeconds, actorOf(c).id);
    return c.json(registration satisfies z.input<typeof Registration>, 201);
  });
  return r;
}
