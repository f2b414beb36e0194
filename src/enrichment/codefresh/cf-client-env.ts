/**
 * How a pipeline written for Codefresh's client reaches imagetrail through the CLI: `CF_API_KEY` is the
 * token and `CF_HOST` (or `CF_PLATFORM_URL`, where the client looks runtimes up) is the server, unless
 * IMAGETRAIL_TOKEN / IMAGETRAIL_SERVER (or the flags) say otherwise.
 */
export function cfClientEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  if (!out['IMAGETRAIL_TOKEN'] && env['CF_API_KEY']) out['IMAGETRAIL_TOKEN'] = env['CF_API_KEY'];
  const server = env['CF_HOST'] || env['CF_PLATFORM_URL'];
  if (!out['IMAGETRAIL_SERVER'] && server) out['IMAGETRAIL_SERVER'] = server;
  return out;
}
