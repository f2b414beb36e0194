import { Hono } from 'hono';
import * as z from 'zod';
import { parseInput } from '../../domain/parse.js';
import { ResourceName } from '../../domain/names.js';
import type { AppDeps, AppEnv } from '../app.js';
import { jsonBody } from './body.js';

export const InspectInput = z
  .object({
    image: z.string().min(1).max(1024),
    registryIntegration: ResourceName.optional(),
    runtime: ResourceName.optional(),
  })
  .strict();

/** Registry facts of one image through an integration, on a runtime (its agent's, if remote); nothing is stored. */
export function inspectRoutes(deps: AppDeps): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.post('/', async (c) => {
    const input = parseInput(InspectInput, await jsonBody(c), 'inspect request');
    const runtime = input.runtime ?? deps.localRuntime;
    // A remote hybrid runtime's identity is with its agents: the inspection runs there.
    if (deps.agents?.tasks.servesName(runtime))
      return c.json(await deps.agents.tasks.inspect(runtime, input));
    return c.json(await deps.pipeline.inspect(input, runtime));
  });
  return r;
}
