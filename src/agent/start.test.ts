import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InputError } from '../domain/errors.js';
import { runAgent } from './agent.js';

// Nothing listens on port 9: each case must be refused before the agent dials out at all.
const SERVER = 'http://127.0.0.1:9';
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'imagetrail-agent-start-'));
  dirs.push(d);
  return d;
}

/** Starts the agent with `opts` and returns what it was refused with (it must not start). */
async function refusal(
  opts: { dataDir: string; registrationTokenFile?: string; runtime?: string },
  env: NodeJS.ProcessEnv = {},
): Promise<InputError> {
  const stop = new AbortController();
  const err: unknown = await runAgent(
    { server: SERVER, runtime: opts.runtime ?? 'eks-a', logLevel: 'silent', ...opts },
    '0.2.0',
    env,
    stop.signal,
  ).then(
    () => undefined,
    (e: unknown) => e,
  );
  stop.abort();
  expect(err).toBeInstanceOf(InputError);
  return err as InputError;
}

const entries = (dir: string) => readdir(dir).catch(() => [] as string[]);

describe('an agent start the operator must fix is refused at once, and leaves nothing behind', () => {
  it.each([['admin-token'], [join('keys', 'control-plane.agekey')]])(
    'a server’s data directory (it holds %s) is not the agent’s',
    async (marker) => {
      const dir = await tmp();
      await mkdir(join(dir, 'keys'), { recursive: true });
      await writeFile(join(dir, marker), 'x\n');
      const token = join(await tmp(), 'token');
      await writeFile(token, 'itreg_' + 'a'.repeat(43));
      const err = await refusal({ dataDir: dir, registrationTokenFile: token });
      expect(err.message).toContain(`${dir} is the data directory of an imagetrail server`);
      expect(err.hints.join(' ')).toContain('IMAGETRAIL_AGENT_DATA_DIR');
      // Neither a key of the runtime nor a credential was written next to the server's files.
      expect(await entries(join(dir, 'keys'))).toEqual(
        marker === 'admin-token' ? [] : ['control-plane.agekey'],
      );
      expect(await entries(dir)).not.toContain('credential.json');
    },
  );

  it('a registration token file that does not exist is named, with what to put there', async () => {
    const dir = join(await tmp(), 'agent');
    const missing = join(await tmp(), 'nonexist.token');
    const err = await refusal({ dataDir: dir, registrationTokenFile: missing });
    expect(err.message).toBe(`Cannot read the registration token file ${missing} (ENOENT).`);
    expect(err.hints.join(' ')).toContain('imagetrail runtime token');
    expect(await entries(dir)).toEqual([]);
  });

  it('an empty registration token file is refused as such', async () => {
    const file = join(await tmp(), 'empty.token');
    await writeFile(file, '\n');
    const err = await refusal({ dataDir: join(await tmp(), 'agent'), registrationTokenFile: file });
    expect(err.message).toBe(`The registration token file ${file} is empty.`);
  });

  it('no credential and no token: says how to get one, before any key is generated', async () => {
    const dir = join(await tmp(), 'agent');
    const err = await refusal({ dataDir: dir }, {});
    expect(err.message).toContain('This agent is not registered yet');
    expect(err.hints.join(' ')).toContain('imagetrail runtime token eks-a');
    expect(await entries(dir)).toEqual([]);
  });

  it('a credential file that is not JSON is refused by name, not as a bug', async () => {
    const dir = await tmp();
    await writeFile(join(dir, 'credential.json'), '{ not json');
    const err = await refusal({ dataDir: dir });
    expect(err.message).toBe(`${join(dir, 'credential.json')} is not an agent credential file.`);
  });

  it('the credential of another runtime is refused', async () => {
    const dir = await tmp();
    const cred = { server: SERVER, runtime: 'eks-b', credential: 'x', credentialId: 'tok_1' };
    await writeFile(join(dir, 'credential.json'), JSON.stringify(cred));
    const err = await refusal({ dataDir: dir, runtime: 'eks-a' });
    expect(err.message).toContain('holds the credential of runtime "eks-b", not "eks-a"');
  });
});
