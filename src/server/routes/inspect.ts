import { Hono } from 'hono';
import type { InspectFacts } from '../../contract/image-answers.js';
import * as z from 'zod';
import { parseInput } from '../../domain/parse.js';
import { ResourceName } from '../../domain/names.js';
import type { AppDeps, AppEnv } from '../app.js';
import { jsonBody } from './body.js';
import { runtimeOrLocal } from '../../enrichment/default-runtime.js';

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
    const runtime = runtimeOrLocal(input.runtime, deps.localRuntime);
    // A remote hybrid runtime's identity is with its agents: the inspection runs there.
    if (deps.agents?.tasks.servesName(runtime))
      return c.json((await deps.agents.tasks.inspect(runtime, input)) satisfies z.input<typeof InspectFacts>);
    const facts = await deps.pipeline.inspect(input, runtime);
    return c.json(facts satisfies z.input<typeof InspectFacts>);
  });
  return r;
}
