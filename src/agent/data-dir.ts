import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../domain/errors.js';

/**
 * Files that only a control plane's data directory holds. An agent started there would adopt the keys the
 * control plane keeps (a runtime key it generated is the agent's key file) and leave its credential next to
 * the server's: refused, whichever way the directory was given.
 */
const SERVER_FILES = ['admin-token', join('keys', 'control-plane.agekey'), 'imagetrail.db', 'server.sock'];

export async function assertAgentDataDir(dir: string): Promise<void> {
  for (const file of SERVER_FILES) {
    const found = await access(join(dir, file)).then(
      () => true,
      () => false,
    );
    if (!found) continue;
    throw new InputError(
      `${dir} is the data directory of an imagetrail server (it holds ${file}); an agent needs a directory of its own.`,
      {
        hints: [
          'Give the agent its own directory: --data-dir DIR or IMAGETRAIL_AGENT_DATA_DIR (default .imagetrail-agent).',
        ],
      },
    );
  }
}
