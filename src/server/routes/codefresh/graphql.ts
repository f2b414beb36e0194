import type { Context } from 'hono';
import * as z from 'zod';
import { AuthenticationError, NotAllowedError, isAppError } from '../../../domain/errors.js';
import { hasScope } from '../../../store/token-store.js';
import type { Principal } from '../../../store/token-store.js';
import type { CodefreshDeps } from './routes.js';
import { publicBaseUrl, runtimePath } from './public-url.js';

/**
 * `POST /2.0/api/graphql`: the one query Codefresh's report-image client sends to its platform, the
 * runtime lookup (`src/utils.ts` `getRuntimeIngressHost`/`getRuntimeVersion`):
 *   query Runtime($name: String!) { runtime(name: $name) { ingressHost, runtimeVersion } }
 * imagetrail answers with its own URL (plus the runtime's path, so reports made through it run on that
 * runtime) and the runtime's version. Anything else is a GraphQL error, not a general GraphQL server.
 */

const GraphqlRequest = z.object({
  query: z.string().max(4096),
  variables: z
    .object({ name: z.string().max(253) })
    .partial()
    .optional(),
  operationName: z.string().max(100).nullish(),
});

const RUNTIME_QUERY =
  /^\s*query\s+\w*\s*\(\s*\$name\s*:\s*String!\s*\)\s*\{\s*runtime\s*\(\s*name\s*:\s*\$name\s*\)\s*\{([\w\s,]*)\}\s*\}\s*$/;
const FIELDS = new Set(['ingressHost', 'runtimeVersion', '__typename']);

function graphqlError(c: Context, status: 200 | 400 | 401 | 403, message: string, code: string): Response {
  return c.json({ errors: [{ message, extensions: { code } }], data: null }, status);
}

export async function runtimeLookup(
  c: Context,
  deps: CodefreshDeps,
  principal: () => Promise<Principal>,
): Promise<Response> {
  let who: Principal;
  try {
    who = await principal();
  } catch (err) {
    if (err instanceof AuthenticationError) return graphqlError(c, 401, err.message, 'UNAUTHENTICATED');
    throw err;
  }
  const parsed = GraphqlRequest.safeParse(await c.req.json().catch(() => undefined));
  if (!parsed.success) return graphqlError(c, 400, 'The body must be a GraphQL request.', 'BAD_REQUEST');
  const m = RUNTIME_QUERY.exec(parsed.data.query);
  const fields = m?.[1]?.split(/[\s,]+/).filter(Boolean) ?? [];
  if (!m || fields.length === 0 || fields.some((f) => !FIELDS.has(f))) {
    return graphqlError(
      c,
      400,
      "imagetrail answers only the runtime lookup of Codefresh's report-image client: query Runtime($name: String!) { runtime(name: $name) { ingressHost, runtimeVersion } }",
      'GRAPHQL_VALIDATION_FAILED',
    );
  }
  const name = parsed.data.variables?.name;
  if (!name) return graphqlError(c, 400, 'The variable "name" is required.', 'BAD_USER_INPUT');
  if (!(hasScope(who, 'report') || hasScope(who, `runtime:${name}`))) {
    const e = new NotAllowedError(
      `The token "${who.name}" may not report images for runtime "${name}": it needs the report scope or runtime:${name}.`,
    );
    return graphqlError(c, 403, e.message, 'FORBIDDEN');
  }
  const runtime = deps.repo.snapshot().runtimes.get(name);
  // The client says "runtime 'x' does not exist" for a null runtime.
  if (!runtime) return c.json({ data: { runtime: null } });
  let base: string;
  try {
    base = publicBaseUrl(c, deps.publicUrl);
  } catch (err) {
    if (isAppError(err)) return graphqlError(c, 200, err.message, 'PUBLIC_URL_UNKNOWN');
    throw err;
  }
  const answer: Record<string, string> = {};
  for (const f of fields) {
    if (f === 'ingressHost') answer[f] = base + runtimePath(name);
    if (f === 'runtimeVersion') answer[f] = runtime.spec.version;
    if (f === '__typename') answer[f] = 'Runtime';
  }
  return c.json({ data: { runtime: answer } });
}
