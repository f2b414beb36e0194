import { expect } from 'vitest';
import { cli, type ServerHandle } from '../helpers/imagetrail.js';

/**
 * The two runtimes the integration rules are about, next to `local`: `cloud`, hosted (no IAM role there),
 * and `old`, hybrid 0.1.26 (access keys need 0.1.27).
 */
export async function addCloudAndOldRuntimes(server: ServerHandle): Promise<void> {
  for (const args of [
    ['runtime', 'add', 'cloud', '--type', 'hosted', '--version', '0.2.0'],
    ['runtime', 'add', 'old', '--type', 'hybrid', '--version', '0.1.26'],
  ]) {
    const r = await cli(server, args);
    expect(r.code, r.stderr).toBe(0);
  }
}
