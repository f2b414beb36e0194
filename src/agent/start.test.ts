import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InputError } from '../domain/errors.js';
import { runAgent } from './agent.js';
import { freePort } from '../../test/peers/free-port.js';

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
  opts: {
    dataDir: string;
    registrationTokenFile?: string;
    runtime?: string;
    healthPort?: number;
    healthHost?: string;
  },
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

describe('a registered agent’s credential goes only to the control plane that issued it', () => {
  it('refuses another --server, naming both and how to move', async () => {
    const dir = await tmp();
    const cred = {
      server: 'https://imagetrail.example.com',
      runtime: 'eks-a',
      credential: 'x',
      credentialId: 't',
    };
    await writeFile(join(dir, 'credential.json'), JSON.stringify(cred));
    const err = await refusal({ dataDir: dir });
    expect(err.message).toBe(
      `The credential in ${dir} was issued by the control plane at https://imagetrail.example.com, not ${SERVER}: it is not sent to another address.`,
    );
    expect(err.hints.join(' ')).toContain('--server https://imagetrail.example.com');
  });
});

describe('the health port while the agent starts', () => {
  it('is open before registration: live at once, not ready until claims reach the control plane', async () => {
    const token = join(await tmp(), 'token');
    await writeFile(token, 'itreg_' + 'a'.repeat(43));
    const healthPort = await freePort();
    const stop = new AbortController();
    // Nothing answers at port 9: the agent keeps trying to register, as while a slow commit is made.
    const running = runAgent(
      {
        server: SERVER,
        runtime: 'eks-a',
        dataDir: join(await tmp(), 'agent'),
        registrationTokenFile: token,
        healthPort,
        awsRequestTimeoutMs: 500,
        awsMaxAttempts: 1,
        logLevel: 'silent',
      },
      '0.2.0',
      { AWS_ACCESS_KEY_ID: '', AWS_EC2_METADATA_DISABLED: 'true' },
      stop.signal,
    );
    const at = (path: string) => fetch(`http://127.0.0.1:${healthPort}${path}`);
    let live = 0;
    for (let i = 0; i < 100 && live !== 200; i++) {
      live = await at('/livez').then(
        (r) => r.status,
        () => 0,
      );
      if (live !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(live).toBe(200);
    expect((await at('/readyz')).status).toBe(503);
    stop.abort();
    await running;
    await expect(at('/livez')).rejects.toThrow();
  });

  it('a health address that cannot be served is an input error naming the flags', async () => {
    const token = join(await tmp(), 'token');
    await writeFile(token, 'itreg_' + 'a'.repeat(43));
    const err = await refusal({
      dataDir: join(await tmp(), 'agent'),
      registrationTokenFile: token,
      healthPort: 1,
      healthHost: '192.0.2.1',
    });
    expect(err.message).toMatch(/^Cannot serve the health port on 192\.0\.2\.1:1 \(E[A-Z]+\)\.$/);
    expect(err.hints.join(' ')).toContain('--health-host');
  });
});
