import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pathToFileURL } from 'node:url';
import { identityChild } from '../../src/agent/identity.js';
import { InternalError } from '../../src/domain/errors.js';
import { baseEnv, ROOT } from '../helpers/imagetrail.js';

// The built agent looks up its AWS identity in a child process of its own (dist/agent-identity.js), so the
// STS client never stays resident. Run from the sources (tests), that file does not exist and the lookup
// runs in-process; a build without it is broken, and says so instead of quietly doing the same.

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** `node <dist>/cli.js agent …` against a port nothing listens on, with no registration token. */
function agent(dist: string, dataDir: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(
      process.execPath,
      [join(dist, 'cli.js'), 'agent', '--server', 'http://127.0.0.1:9', '--runtime', 'edge'],
      { env: baseEnv({ IMAGETRAIL_AGENT_DATA_DIR: dataDir }), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}

describe('the built agent’s identity lookup', () => {
  it('a build without dist/agent-identity.js refuses to start, naming the file and the fix', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'imagetrail-broken-build-'));
    dirs.push(tmp);
    // The bundle as built, less the lookup's entry (and the dashboard, which the agent does not serve).
    const skip = new Set(['web', 'agent-identity.js', 'agent-identity.js.map']);
    await cp(join(ROOT, 'dist'), join(tmp, 'dist'), {
      recursive: true,
      filter: (f) => !skip.has(basename(f)),
    });
    await symlink(join(ROOT, 'node_modules'), join(tmp, 'node_modules'));
    const r = await agent(join(tmp, 'dist'), join(tmp, 'agent'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(join(tmp, 'dist', 'agent-identity.js'));
    expect(r.stderr).toContain('npm run build');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('the complete build gets past the lookup (and stops at the missing registration token)', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'imagetrail-build-'));
    dirs.push(tmp);
    const r = await agent(join(ROOT, 'dist'), join(tmp, 'agent'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).not.toContain('agent-identity.js');
    expect(r.stderr).toMatch(/registration token/i);
  });

  it('run from the sources, the lookup runs in-process; a bundle uses the child next to it', () => {
    expect(identityChild(pathToFileURL(join(ROOT, 'src/agent/identity.ts')).href)).toBeNull();
    expect(identityChild(pathToFileURL(join(ROOT, 'dist/cli.js')).href)?.pathname).toBe(
      join(ROOT, 'dist/agent-identity.js'),
    );
    expect(() => identityChild(pathToFileURL(join(ROOT, 'src/cli.js')).href)).toThrow(InternalError);
  });
});
