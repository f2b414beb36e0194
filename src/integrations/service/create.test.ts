import { beforeEach, describe, expect, it } from 'vitest';
import { ADMIN, SAMPLE, serviceHarness, type ServiceHarness } from './fakes.js';
import { createIntegration } from './create.js';

let t: ServiceHarness;
beforeEach(async () => {
  t = await serviceHarness({ local: 'hybrid', cloud: 'hosted' });
});

const commitsNow = () => t.repo.commits.length;

describe('createIntegration', () => {
  it('tests on the local runtime, then writes one file per placement in one commit, secrets sealed', async () => {
    const before = commitsNow();
    const r = await createIntegration(
      t.deps,
      { name: 'gh', type: 'git.github', sharing: { runtimes: ['local', 'cloud'] }, github: SAMPLE.github },
      ADMIN,
    );
    expect(t.executor.tests).toEqual([
      {
        type: 'github',
        runtime: 'local',
        input: { apiUrl: SAMPLE.github.apiUrl, token: SAMPLE.github.token },
      },
    ]);
    expect(t.repo.commits.length).toBe(before + 1);
    expect(t.repo.commits.at(-1)!.subject).toBe(
      'integration: add gh (git.github, token, runtimes cloud, local)',
    );
    expect(t.repo.commits.at(-1)!.changed.sort()).toEqual([
      'resources/runtimes/cloud/gh.yaml',
      'resources/runtimes/local/gh.yaml',
    ]);
    const text = t.repo.text('resources/runtimes/local/gh.yaml')!;
    expect(text).toContain('BEGIN AGE ENCRYPTED FILE');
    expect(text).not.toContain(SAMPLE.github.token);
    expect(r.commit).toBe(t.repo.commits.at(-1)!.sha);
    expect(r.test?.ok).toBe(true);
    expect(r.integration.sharing).toEqual({ runtimes: ['cloud', 'local'] });
  });

  it('seals for the control plane and each runtime of the placement that can use it, by its pinned key', async () => {
    await t.store('ecr', 'registry.ecr', SAMPLE.ecrKey);
    const snap = t.repo.snapshot();
    const spec = snap.integrations[0]!.resource.spec;
    if (spec.type !== 'registry.ecr' || spec.ecr.auth.mode !== 'accessKey')
      throw new Error('unexpected spec');
    const expected = [
      t.controlPlane.recipient,
      ...['local', 'cloud'].map((n) => t.deps.pins.runtime(n)!),
    ].sort();
    expect(spec.ecr.auth.secretAccessKey.recipients).toEqual(expected);
  });

  it('refuses a named runtime that cannot use the settings, with the type hints, and commits nothing', async () => {
    const before = commitsNow();
    const err = await createIntegration(
      t.deps,
      { name: 'ecr', type: 'registry.ecr', sharing: { runtimes: ['cloud'] }, ecr: SAMPLE.ecrRole },
      ADMIN,
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({
      kind: 'input',
      details: [{ path: 'sharing.runtimes', message: expect.stringContaining('hosted') }],
      hints: [
        'Share the integration with hybrid runtimes only, or switch to access-key mode (--access-key-id).',
      ],
    });
    expect(t.executor.tests).toEqual([]);
    expect(commitsNow()).toBe(before);
  });

  it('shared with all runtimes, a runtime that cannot use it is reported unavailable, not refused', async () => {
    const r = await createIntegration(
      t.deps,
      { name: 'ecr', type: 'registry.ecr', sharing: { allRuntimes: true }, ecr: SAMPLE.ecrRole },
      ADMIN,
    );
    expect(r.integration.availability).toEqual([
      expect.objectContaining({ runtime: 'cloud', available: false, source: 'all-runtimes' }),
      { runtime: 'local', available: true, source: 'all-runtimes' },
    ]);
  });

  it('a failed connection test commits nothing and says why, with the check hints first', async () => {
    t.executor.outcome = { ok: false, message: 'Bad credentials', hints: ['Make a new token.'] };
    const before = commitsNow();
    const err = await createIntegration(
      t.deps,
      { name: 'gh', type: 'git.github', sharing: { allRuntimes: true }, github: SAMPLE.github },
      ADMIN,
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({
      kind: 'check-failed',
      message: 'Connection test failed on runtime "local": Bad credentials. Nothing was committed.',
      hints: ['Make a new token.', expect.stringContaining('--skip-test')],
    });
    expect(commitsNow()).toBe(before);
    expect(t.repo.paths().some((p) => p.startsWith('resources/'))).toBe(false);
  });

  it('with skipTest commits without running a test', async () => {
    const r = await createIntegration(
      t.deps,
      {
        name: 'gh',
        type: 'git.github',
        sharing: { allRuntimes: true },
        github: SAMPLE.github,
        skipTest: true,
      },
      ADMIN,
    );
    expect(t.executor.tests).toEqual([]);
    expect(r.commit).not.toBeNull();
    expect(r.test).toBeUndefined();
  });

  it('cannot test when no runtime it is shared with runs in this server: nothing committed', async () => {
    t.executor.elsewhere.set('local', 'runs elsewhere');
    const before = commitsNow();
    const err = await createIntegration(
      t.deps,
      { name: 'gh', type: 'git.github', sharing: { runtimes: ['local'] }, github: SAMPLE.github },
      ADMIN,
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'check-failed', message: expect.stringContaining('could not run') });
    expect(commitsNow()).toBe(before);
  });

  it('runs the test on the requested runtime, and refuses one that is not shared with', async () => {
    await t.addRuntime('other', 'hybrid');
    const body = {
      name: 'gh',
      type: 'git.github',
      sharing: { runtimes: ['local', 'other'] },
      github: SAMPLE.github,
    };
    await createIntegration(t.deps, { ...body, testRuntime: 'other' }, ADMIN);
    expect(t.executor.tests.map((x) => x.runtime)).toEqual(['other']);
    const err = await createIntegration(t.deps, { ...body, name: 'gh2', testRuntime: 'cloud' }, ADMIN).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      kind: 'input',
      message: expect.stringContaining('Runtime "cloud" cannot run'),
    });
    const missing = await createIntegration(
      t.deps,
      { ...body, name: 'gh3', testRuntime: 'nope' },
      ADMIN,
    ).catch((e: unknown) => e);
    expect(missing).toMatchObject({ kind: 'input', message: 'No runtime named "nope".' });
  });

  it('refuses a name already taken, also when another writer takes it between test and commit', async () => {
    const body = { name: 'gh', type: 'git.github', sharing: { allRuntimes: true }, github: SAMPLE.github };
    await createIntegration(t.deps, body, ADMIN);
    await expect(createIntegration(t.deps, body, ADMIN)).rejects.toMatchObject({ kind: 'conflict' });

    const other = t.repo.text('resources/all-runtimes-all-clusters/gh.yaml')!;
    t.repo.beforeNextMutate = () =>
      t.repo.put({ 'resources/runtimes/local/late.yaml': other.replace('name: gh', 'name: late') });
    const before = commitsNow();
    await expect(createIntegration(t.deps, { ...body, name: 'late' }, ADMIN)).rejects.toMatchObject({
      kind: 'conflict',
      message: expect.stringContaining('"late" already exists'),
    });
    expect(commitsNow()).toBe(before + 1); // only the other writer's
  });

  it('refuses another type section, and settings the handler rejects, before anything else', async () => {
    await expect(
      createIntegration(
        t.deps,
        {
          name: 'gh',
          type: 'git.github',
          sharing: { allRuntimes: true },
          github: SAMPLE.github,
          jira: SAMPLE.jira,
        },
        ADMIN,
      ),
    ).rejects.toMatchObject({ kind: 'input', details: [{ path: 'jira' }] });
    await expect(
      createIntegration(t.deps, { name: 'gh', type: 'git.github', sharing: { allRuntimes: true } }, ADMIN),
    ).rejects.toMatchObject({
      kind: 'input',
      details: [{ path: 'github', message: 'the git.github settings are required' }],
    });
    expect(t.executor.tests).toEqual([]);
  });

  it('records who created it, and never the secret, in the audit and the log', async () => {
    await createIntegration(
      t.deps,
      { name: 'gh', type: 'git.github', sharing: { allRuntimes: true }, github: SAMPLE.github },
      ADMIN,
    );
    expect(t.audit.events).toEqual([
      expect.objectContaining({ actorTokenId: 'tok_admin', action: 'integration.create', target: 'gh' }),
    ]);
    const all = JSON.stringify(t.audit.events) + t.logs.join('');
    expect(all).toContain('integration.create');
    expect(all).not.toContain(SAMPLE.github.token);
  });
});
