import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyStore } from './keys.js';
import { generateIdentity } from './sealing.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function store(shared?: Map<string, { identity: string; recipient: string }>) {
  const dir = await mkdtemp(join(tmpdir(), 'imagetrail-keys-'));
  dirs.push(dir);
  return { dir, keys: new KeyStore(dir, shared) };
}

const held = (dir: string) => readdir(join(dir, 'keys', 'runtimes')).catch(() => [] as string[]);

describe('KeyStore.retire: the generated key of a runtime whose agent brought its own', () => {
  it('deletes the runtime key when the pinned recipient is another one', async () => {
    const { dir, keys } = await store();
    await keys.getOrCreate('eks-a');
    const agents = await generateIdentity();
    expect(await keys.retire('eks-a', agents.recipient)).toBe(true);
    expect(await held(dir)).toEqual([]);
    expect(await keys.get('eks-a')).toBeUndefined();
  });

  it('keeps it when it is the pinned key (the agent shares it), and says nothing was there to retire', async () => {
    const { dir, keys } = await store();
    const own = await keys.getOrCreate('eks-a');
    expect(await keys.retire('eks-a', own.recipient)).toBe(false);
    expect(await held(dir)).toEqual(['eks-a.agekey']);
    expect(await keys.retire('eks-b', own.recipient)).toBe(false);
  });

  it("never deletes the control plane's key or a key given from outside", async () => {
    const given = await generateIdentity();
    const { keys } = await store(new Map([['eks-a', given]]));
    const cp = await keys.getOrCreate('control-plane');
    const other = (await generateIdentity()).recipient;
    expect(await keys.retire('control-plane', other)).toBe(false);
    expect((await keys.get('control-plane'))?.recipient).toBe(cp.recipient);
    expect(await keys.retire('eks-a', other)).toBe(false);
    expect((await keys.get('eks-a'))?.recipient).toBe(given.recipient);
  });
});
