import { join } from 'node:path';
import { pointerFile, readLocalServer } from '../server/pointer.js';

/**
 * Which server the CLI talks to, and the data directory whose admin token it may use. Precedence:
 * `--server` > `IMAGETRAIL_SERVER` > `CF_HOST` (Codefresh's variable for the server URL) > the data
 * directory it was told about (`--data-dir` / `IMAGETRAIL_DATA_DIR`) > the pointer a default-data-dir
 * `serve` wrote in the user's config directory > http://127.0.0.1:8080. The current directory is never
 * consulted: a checkout must not decide where the token goes.
 */
export async function discoverServer(
  o: { server?: string; dataDir?: string },
  env: NodeJS.ProcessEnv,
): Promise<{ server: string; dataDir?: string }> {
  const told = o.dataDir ?? env['IMAGETRAIL_DATA_DIR'];
  const explicit = o.server ?? env['IMAGETRAIL_SERVER'] ?? env['CF_HOST'];
  if (explicit) return told ? { server: explicit, dataDir: told } : { server: explicit };
  if (told) {
    const local = await readLocalServer(join(told, 'server.json'));
    return { server: local?.url ?? 'http://127.0.0.1:8080', dataDir: told };
  }
  const pointer = await readLocalServer(pointerFile(env));
  if (pointer)
    return pointer.dataDir ? { server: pointer.url, dataDir: pointer.dataDir } : { server: pointer.url };
  return { server: 'http://127.0.0.1:8080' };
}
