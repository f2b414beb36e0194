import { beforeEach, describe, expect, it } from 'vitest';
import { ADMIN, SAMPLE, serviceHarness, type ServiceHarness } from './fakes.js';
import { deleteIntegration } from './delete.js';
import { getView, listViews, listViewsWithCommits } from './views.js';

let t: ServiceHarness;
beforeEach(async () => {
  t = await serviceHarness({ local: 'hybrid', cloud: 'hosted' });
});

describe('views', () => {
  it('never contain a secret, sealed or clear: only { set: true }', async () => {
    await t.store('ecr', 'registry.ecr', SAMPLE.ecrKey);
    await t.store('gh', 'git.github', SAMPLE.github, { runtimes: ['local'] });
    await t.store('jira', 'issue.jira', SAMPLE.jira);
    const views = [
      ...listViews(t.repo),
      ...(await listViewsWithCommits(t.repo)),
      await getView(t.repo, 'gh'),
    ];
    const text = JSON.stringify(views);
    for (const secret of [
      SAMPLE.ecrKey.auth.secretAccessKey,
      SAMPLE.github.token,
      SAMPLE.jira.auth.apiToken,
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toContain('AGE');
    expect(views[0]).toMatchObject({
      name: 'ecr',
      mode: 'accessKey',
      ecr: { secretAccessKey: { set: true } },
    });
    expect(views[1]).toMatchObject({ name: 'gh', github: { token: { set: true } } });
    expect(views[2]).toMatchObject({
      name: 'jira',
      mode: 'cloud',
      jira: { auth: { apiToken: { set: true } } },
    });
  });

  it('say per runtime which copy applies (precedence) and whether it can be used there', async () => {
    await t.store('ecr', 'registry.ecr', SAMPLE.ecrRole);
    const shared = t.repo.text('resources/all-runtimes-all-clusters/ecr.yaml')!;
    await deleteIntegration(t.deps, 'ecr', { confirm: 'DELETE' }, ADMIN);
    await t.store('ecr', 'registry.ecr', SAMPLE.ecrKey, { runtimes: ['cloud'] });
    t.repo.put({ 'resources/all-runtimes-all-clusters/ecr.yaml': shared });
    const v = await getView(t.repo, 'ecr');
    expect(v.availability).toEqual([
      { runtime: 'cloud', available: true, source: 'runtime' },
      { runtime: 'local', available: true, source: 'all-runtimes' },
    ]);
    // The view describes the all-runtimes copy, and lists both placements.
    expect(v).toMatchObject({ mode: 'iamRole', sharing: { allRuntimes: true } });
    expect(v.placements.map((p) => p.scope).sort()).toEqual(['all', 'runtime']);

    t.repo.put({ 'resources/runtimes/cloud/ecr.yaml': undefined });
    expect((await getView(t.repo, 'ecr')).availability[0]).toMatchObject({
      runtime: 'cloud',
      available: false,
      source: 'all-runtimes',
      reason: expect.stringContaining('hosted'),
    });
  });

  it('carry the last commit of their files, and the problems of their files only', async () => {
    await t.store('gh', 'git.github', SAMPLE.github);
    await t.store('jira', 'issue.jira', SAMPLE.jira);
    const [gh, jira] = await listViewsWithCommits(t.repo);
    expect(gh!.lastCommit?.subject).toContain('integration: add gh');
    expect(jira!.lastCommit?.subject).toContain('integration: add jira');
    expect(gh!.problems).toEqual([]);
    await expect(getView(t.repo, 'nope')).rejects.toMatchObject({ kind: 'not-found' });
  });
});
