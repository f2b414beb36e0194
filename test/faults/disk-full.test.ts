import { execFile } from 'node:child_process';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { addUnreachableEcrIntegration, api, startImagetrail } from '../helpers/imagetrail.js';

// A real full disk, not a mock: the data directory is a small tmpfs (the tests run as root, as CI does),
// filled up with a file until the kernel answers ENOSPC. Report intake must then answer 503 saying the disk
// is full, /healthz and /readyz must turn red, and both must recover once space is freed.

const exec = promisify(execFile);
const mounts: string[] = [];
afterAll(async () => {
  for (const m of mounts) {
    await exec('umount', ['-l', m]).catch(() => undefined);
    await rm(m, { recursive: true, force: true });
  }
});

/** Writes zeros into `file` until the file system is full. */
async function fillUp(file: string): Promise<void> {
  const fh = await open(file, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) await fh.write(chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    await fh.close().catch(() => undefined);
  }
}

describe('disk full (SQLite on a full tmpfs)', { timeout: 180_000 }, () => {
  it('report intake answers 503 with a clear message, /healthz and /readyz turn red, and recover', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'imagetrail-diskfull-'));
    mounts.push(dataDir);
    await exec('mount', ['-t', 'tmpfs', '-o', 'size=24m,mode=0700', 'tmpfs', dataDir]);
    const server = await startImagetrail({ dataDir });
    try {
      await addUnreachableEcrIntegration(server, 'ecr');
      const report = (tag: string) =>
        api(server, 'POST', '/api/v1/image-reports', {
          image: `123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:${tag}`,
        });
      const before = await report('1');
      expect(before.status, before.text).toBe(202);

      const filler = join(dataDir, 'filler');
      await fillUp(filler);
      let full = await report('2');
      // SQLite may still find room in pages it already has; a few more reports use it up.
      for (let i = 3; i < 200 && full.status === 202; i++) full = await report(String(i));
      expect(full.status, full.text).toBe(503);
      expect(full.json.error.message).toContain('out of disk space');
      expect(full.text).not.toMatch(/SQLITE|\bat \//);

      const health = await api(server, 'GET', '/healthz', undefined, null);
      expect(health.status).toBe(503);
      expect(health.json).toMatchObject({ status: 'degraded', disk: 'full' });
      const ready = await api(server, 'GET', '/readyz', undefined, null);
      expect(ready.status).toBe(503);
      expect(ready.json.checks.disk.ok).toBe(false);
      expect((await api(server, 'GET', '/livez', undefined, null)).status).toBe(200);

      await rm(filler);
      const after = await report('after');
      expect(after.status, after.text).toBe(202);
      expect((await api(server, 'GET', '/healthz', undefined, null)).status).toBe(200);
      expect((await api(server, 'GET', '/readyz', undefined, null)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});
