import { beforeEach, describe, expect, it } from 'vitest';
import { ADMIN, SAMPLE, serviceHarness, type ServiceHarness } from './fakes.js';
import { deleteIntegration } from './delete.js';

let t: ServiceHarness;
beforeEach(async () => {
  t = await serviceHarness({ local: 'hybrid', other: 'hybrid' });
});

describe('deleteIntegration', () => {
  it('removes every placement in one commit, and only after confirmation', async () => {
    await t.store('gh', 'git.github', SAMPLE.github, { runtimes: ['local', 'other'] });
    await t.store('keep', 'git.github', SAMPLE.github);
    const before = t.repo.commits.length;
    await expect(deleteIntegration(t.deps, 'gh', {}, ADMIN)).rejects.toMatchObject({ kind: 'input' });
    expect(t.repo.commits.length).toBe(before);

    const r = await deleteIntegration(t.deps, 'gh', { confirm: 'DELETE' }, ADMIN);
    expect(r.removed.sort()).toEqual([
      'resources/runtimes/local/gh.yaml',
      'resources/runtimes/other/gh.yaml',
    ]);
    expect(t.repo.commits.length).toBe(before + 1);
    expect(r.commit).toBe(t.repo.commits.at(-1)!.sha);
    expect(t.repo.snapshot().integrations.map((e) => e.name)).toEqual(['keep']);
    expect(t.audit.events.at(-1)).toMatchObject({ action: 'integration.delete', target: 'gh' });
  });

  it('says an unknown name is not found, also when it vanished before the commit', async () => {
    await expect(deleteIntegration(t.deps, 'nope', { confirm: 'DELETE' }, ADMIN)).rejects.toMatchObject({
      kind: 'not-found',
    });
    await t.store('gh', 'git.github', SAMPLE.github);
    t.repo.beforeNextMutate = () => t.repo.put({ 'resources/all-runtimes-all-clusters/gh.yaml': undefined });
    await expect(deleteIntegration(t.deps, 'gh', { confirm: 'DELETE' }, ADMIN)).rejects.toMatchObject({
      kind: 'not-found',
    });
  });
});
