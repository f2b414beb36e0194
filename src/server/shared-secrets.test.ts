import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentity } from '../config-repo/sealing.js';
import { Redactor } from '../logging/redactor.js';
import { KeyStore } from '../config-repo/keys.js';
import { FakeTokenStore } from '../store/fake-token-store.js';
import { generateToken } from '../store/token-store.js';
import { ensureAdminToken, readSharedSecrets, sharedKeys } from './shared-secrets.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imagetrail-shared-secrets-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string, mode = 0o600): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, text);
  await chmod(p, mode);
  return p;
}

describe('shared secrets of replicas', () => {
  it('reads identities (comments allowed) and a token, registers them with the redactor, and the KeyStore prefers them', async () => {
    const cp = await generateIdentity();
    const local = await generateIdentity();
    const token = generateToken();
    const redactor = new Redactor();
    const secrets = await readSharedSecrets(
      {
        identityFile: await file(
          'cp',
          `# created by age-keygen\n# public key: ${cp.recipient}\n${cp.identity}\n`,
        ),
        // A Kubernetes Secret volume with fsGroup is group-readable.
        localRuntimeIdentityFile: await file('local', `${local.identity}\n`, 0o440),
        adminTokenFile: await file('token', `${token}\n`),
      },
      redactor,
    );
    expect(secrets.controlPlane?.recipient).toBe(cp.recipient);
    expect(secrets.localRuntime?.recipient).toBe(local.recipient);
    expect(secrets.adminToken).toBe(token);
    expect(redactor.redact(`x ${cp.identity} ${token} y`)).not.toMatch(/AGE-SECRET|it_/);

    // The data directory is empty: nothing is generated there for the given owners.
    const keys = new KeyStore(join(dir, 'data'), sharedKeys(secrets, 'local'));
    expect((await keys.getOrCreate('control-plane')).recipient).toBe(cp.recipient);
    expect((await keys.get('local'))?.recipient).toBe(local.recipient);
  });

  it.each([
    ['a world-readable file', () => file('open', 'x', 0o644), /is readable by every user/],
    ['a missing file', () => Promise.resolve(join(dir, 'nope')), /cannot read .*nope.*ENOENT/],
    ['not an identity', () => file('junk', 'hello\n'), /is not an age identity file/],
    ['two identities', () => file('two', 'AGE-SECRET-KEY-1A\nAGE-SECRET-KEY-1B\n'), /exactly one/],
  ])('refuses %s, naming the option and never the content', async (_what, make, message) => {
    const identityFile = await make();
    const err = await readSharedSecrets({ identityFile }, new Redactor()).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(message);
    expect(err?.message).toContain('--identity-file / IMAGETRAIL_IDENTITY_FILE');
    expect(err?.message).not.toContain('hello');
  });

  it('refuses an admin token file that does not hold an imagetrail token', async () => {
    const adminTokenFile = await file('badtoken', 'hunter2\n');
    await expect(readSharedSecrets({ adminTokenFile }, new Redactor())).rejects.toThrow(
      /does not hold an imagetrail token/,
    );
  });

  it('creates the first admin token from the file once, and nothing when tokens exist', async () => {
    const tokens = new FakeTokenStore();
    const token = generateToken();
    const deps = { tokens, dataDir: join(dir, 'data2'), logger: { info: () => undefined } };
    expect(await ensureAdminToken(deps, token)).toBeUndefined();
    expect((await tokens.verify(token))?.scopes).toEqual(['admin']);
    await ensureAdminToken(deps, generateToken());
    expect(await tokens.list()).toHaveLength(1);
  });
});
