import { describe, expect, it } from 'vitest';
import { FakeConfigRepo, runtimeYaml } from './fakes.js';

// The service's unit tests rely on the fake being a transaction like the real one: check that it is.
const RECIPIENT = 'age1' + 'q'.repeat(58);

describe('FakeConfigRepo', () => {
  it('lands a change as one commit and reads it back into the snapshot', async () => {
    const repo = new FakeConfigRepo();
    const r = await repo.mutate('add a runtime', async (tx) => {
      await tx.write('runtimes/eu/runtime.yaml', runtimeYaml('eu', 'hybrid', '0.2.0', RECIPIENT));
      return 'done';
    });
    expect(r).toEqual({ result: 'done', commit: repo.commits[0]!.sha });
    expect([...repo.snapshot().runtimes.keys()]).toEqual(['eu']);
    expect(await repo.lastCommit(['runtimes/eu/runtime.yaml'])).toMatchObject({ subject: 'add a runtime' });
  });

  it('commits nothing when the callback throws, changes nothing, or leaves an invalid file', async () => {
    const repo = new FakeConfigRepo();
    await expect(
      repo.mutate('half', async (tx) => {
        await tx.write('runtimes/eu/runtime.yaml', runtimeYaml('eu', 'hybrid', '0.2.0', RECIPIENT));
        throw new Error('test failed');
      }),
    ).rejects.toThrow('test failed');
    expect(await repo.mutate('nothing', () => Promise.resolve())).toEqual({
      result: undefined,
      commit: null,
    });
    await expect(
      repo.mutate('bad', (tx) => tx.write('runtimes/eu/runtime.yaml', 'kind: Runtime\n')),
    ).rejects.toMatchObject({ kind: 'input' });
    expect(repo.commits).toEqual([]);
    expect(repo.paths()).toEqual([]);
  });

  it('shows what another replica pushed only after sync', async () => {
    const repo = new FakeConfigRepo();
    repo.pushElsewhere('runtimes/eu/runtime.yaml', runtimeYaml('eu', 'hybrid', '0.2.0', RECIPIENT));
    expect(repo.snapshot().runtimes.size).toBe(0);
    expect((await repo.sync()).runtimes.size).toBe(1);
  });
});
