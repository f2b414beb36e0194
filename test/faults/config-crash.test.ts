import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addEcrKeyIntegration, cli, startImagetrail } from '../helpers/imagetrail.js';
import { git } from '../helpers/git.js';

// SIGKILL in the middle of an integration write, in the default local mode (the configuration repository
// in <data-dir>/shared-config, committed into in place). IMAGETRAIL_TEST_FAULT makes the server kill
// itself between two Git steps of the change: after writing the files, after `git add`, after
// `git commit` (before the change is recorded as durable and answered). On the next start the
// never-acknowledged change must be gone, the acknowledged one kept, and later changes must work.

const KEYS = {
  accessKeyId: 'AKIACRASHTEST0000000',
  secretAccessKey: 'crash-test-secret-key-00000000000000000',
};
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function names(server: Parameters<typeof cli>[0]): Promise<string[]> {
  const r = await cli(server, ['integration', 'list', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as Array<{ name: string }>).map((i) => i.name).sort();
}

describe('SIGKILL during a configuration change (local mode)', { timeout: 240_000 }, () => {
  for (const point of ['written', 'staged', 'committed'] as const) {
    it(`killed once ${point}: the unacknowledged integration is gone, the acknowledged one stays, changes work`, async () => {
      const dataDir = await mkdtemp(join(tmpdir(), `imagetrail-crash-${point}-`));
      dirs.push(dataDir);
      const repo = join(dataDir, 'shared-config');

      const first = await startImagetrail({ dataDir });
      const acked = await addEcrKeyIntegration(first, 'acknowledged', KEYS, ['--skip-test']);
      expect(acked.code, acked.stderr).toBe(0);
      await first.stop();

      const doomed = await startImagetrail({ dataDir, env: { IMAGETRAIL_TEST_FAULT: point } });
      const exited = new Promise((r) => doomed.proc.once('exit', (_code, signal) => r(signal)));
      const lost = await addEcrKeyIntegration(doomed, 'never-acknowledged', KEYS, ['--skip-test']);
      expect(lost.code).not.toBe(0); // the connection dropped: no answer, no acknowledgement
      expect(await exited).toBe('SIGKILL');
      if (point === 'written') {
        // git itself killed while it held the index lock, as when the whole process group dies.
        await writeFile(join(repo, '.git', 'index.lock'), '');
      }

      const next = await startImagetrail({ dataDir });
      try {
        expect(await names(next)).toEqual(['acknowledged']);
        expect(await git(repo, 'status', '--porcelain')).toBe('');
        await expect(stat(join(repo, '.git', 'index.lock'))).rejects.toThrow();
        expect(await git(repo, 'log', '--format=%s')).not.toContain('never-acknowledged');
        const again = await addEcrKeyIntegration(next, 'after-restart', KEYS, ['--skip-test']);
        expect(again.code, again.stderr).toBe(0);
        expect(await names(next)).toEqual(['acknowledged', 'after-restart']);
      } finally {
        await next.stop();
      }
    });
  }

  it("an index.lock of the user's own git (no change of ours in flight) is not removed: a clear error", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'imagetrail-crash-userlock-'));
    dirs.push(dataDir);
    const server = await startImagetrail({ dataDir });
    try {
      await writeFile(join(dataDir, 'shared-config', '.git', 'index.lock'), '');
      const r = await addEcrKeyIntegration(server, 'blocked', KEYS, ['--skip-test']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect((await stat(join(dataDir, 'shared-config', '.git', 'index.lock'))).isFile()).toBe(true);
    } finally {
      await server.stop();
    }
  });
});
