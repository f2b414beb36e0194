import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, baseEnv } from '../helpers/imagetrail.js';

// `imagetrail agent`'s data directory as the CLI resolves it. IMAGETRAIL_DATA_DIR and a --data-dir before
// `agent` name a server's directory: an agent that used to read them must be told, not started empty
// (it would then ask for a new registration, re-pinning the runtime's key).

function agent(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], {
      env: baseEnv(env),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code, stderr }));
  });
}

const AGENT = ['agent', '--server', 'http://127.0.0.1:9', '--runtime', 'eks-a'];

describe('the agent’s data directory on the command line', () => {
  it('IMAGETRAIL_DATA_DIR alone is refused, saying what to use instead', async () => {
    const r = await agent(AGENT, { IMAGETRAIL_DATA_DIR: '/srv/imagetrail' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "IMAGETRAIL_DATA_DIR=/srv/imagetrail names a server's data directory, which the agent does not use.",
    );
    expect(r.stderr).toContain('IMAGETRAIL_AGENT_DATA_DIR=$IMAGETRAIL_DATA_DIR');
  });

  it('a --data-dir before `agent` is refused the same way', async () => {
    const r = await agent(['--data-dir', '/srv/imagetrail', ...AGENT], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      '--data-dir /srv/imagetrail (before "agent") names a server\'s data directory',
    );
  });

  it("the agent's own directory wins over IMAGETRAIL_DATA_DIR (then it stops for want of a token)", async () => {
    const r = await agent([...AGENT, '--data-dir', '/nonexistent/agent-dir'], {
      IMAGETRAIL_DATA_DIR: '/srv/x',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'This agent is not registered yet (no /nonexistent/agent-dir/credential.json)',
    );
  });
});
