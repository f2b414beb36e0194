import { beforeEach, describe, expect, it } from 'vitest';
import { ADMIN, SAMPLE, serviceHarness, type ServiceHarness } from './fakes.js';
import { deleteIntegration } from './delete.js';
import { editIntegration } from './edit.js';

let t: ServiceHarness;
beforeEach(async () => {
  t = await serviceHarness({ local: 'hybrid', cloud: 'hosted' });
});

async function stored(name: string, section: 'github' | 'ecr', settings: object, sharing?: object) {
  await t.store(name, section === 'github' ? 'git.github' : 'registry.ecr', settings, sharing);
  t.executor.tests.length = 0;
  return t.repo.commits.length;
}
const lastInput = () => t.executor.tests.at(-1)?.input;
const ALL = 'resources/all-runtimes-all-clusters';

describe('editIntegration', () => {
  it('an omitted secret keeps the stored one: tested with it, re-sealed, and its use audited', async () => {
    const before = await stored('gh', 'github', SAMPLE.github);
    const r = await editIntegration(t.deps, 'gh', { description: 'CI token' }, ADMIN);
    expect(lastInput()).toEqual({ apiUrl: SAMPLE.github.apiUrl, token: SAMPLE.github.token });
    expect(t.repo.commits.length).toBe(before + 1);
    expect(r.integration.description).toBe('CI token');
    const text = t.repo.text(`${ALL}/gh.yaml`)!;
    expect(text).toContain('BEGIN AGE ENCRYPTED FILE');
    expect(text).not.toContain(SAMPLE.github.token);
    const use = t.audit.events.find((e) => e.action === 'integration.secret-use');
    expect(use?.detail).toEqual({
      use: 'edit-reseal',
      type: 'git.github',
      fields: ['github.token'],
      destinations: { apiUrl: SAMPLE.github.apiUrl },
    });
    expect(JSON.stringify(t.audit.events) + t.logs.join('')).not.toContain(SAMPLE.github.token);
  });

  it('a new secret replaces the stored one without opening it', async () => {
    await stored('gh', 'github', SAMPLE.github);
    await editIntegration(t.deps, 'gh', { github: { token: 'ghp_token_number_two' } }, ADMIN);
    expect(lastInput()).toEqual({ apiUrl: SAMPLE.github.apiUrl, token: 'ghp_token_number_two' });
    expect(t.audit.events.some((e) => e.action === 'integration.secret-use')).toBe(false);
  });

  it('changing where the secret goes needs the secret entered again', async () => {
    const before = await stored('gh', 'github', SAMPLE.github);
    const moved = { apiUrl: 'https://elsewhere.example/api/v3' };
    const err = await editIntegration(t.deps, 'gh', { github: moved }, ADMIN).catch((e: unknown) => e);
    expect(err).toMatchObject({
      kind: 'input',
      message: expect.stringContaining('changing github.apiUrl sends the stored secret to a new place'),
      details: [{ path: 'github.token' }],
      hints: ['Enter the token again: imagetrail integration edit gh --token-stdin'],
    });
    expect(t.executor.tests).toEqual([]);
    expect(t.repo.commits.length).toBe(before);

    await editIntegration(t.deps, 'gh', { github: { ...moved, token: 'ghp_token_number_two' } }, ADMIN);
    expect(lastInput()).toEqual({ ...moved, token: 'ghp_token_number_two' });
  });

  it('an ECR region change also needs the secret again', async () => {
    await stored('ecr', 'ecr', SAMPLE.ecrKey);
    await expect(
      editIntegration(t.deps, 'ecr', { ecr: { region: 'us-east-1' } }, ADMIN),
    ).rejects.toMatchObject({
      kind: 'input',
      details: [{ path: 'ecr.auth.secretAccessKey' }],
    });
  });

  it('switching auth mode needs the new mode’s secret; the old one is not carried over', async () => {
    const before = await stored('ecr', 'ecr', SAMPLE.ecrRole);
    const toKey = { ecr: { auth: { mode: 'accessKey', accessKeyId: 'AKIAABCDEFGHIJKLMNOP' } } };
    await expect(editIntegration(t.deps, 'ecr', toKey, ADMIN)).rejects.toMatchObject({
      kind: 'input',
      details: [{ path: 'ecr.auth.secretAccessKey' }],
    });
    expect(t.repo.commits.length).toBe(before);
    const withSecret = { ecr: { auth: { ...toKey.ecr.auth, secretAccessKey: 'ecr-secret-key-two' } } };
    const r = await editIntegration(t.deps, 'ecr', withSecret, ADMIN);
    expect(r.integration.mode).toBe('accessKey');
    expect(r.integration.ecr?.secretAccessKey).toEqual({ set: true });
  });

  it('a failed connection test commits nothing', async () => {
    const before = await stored('gh', 'github', SAMPLE.github);
    t.executor.outcome = { ok: false, message: 'Bad credentials' };
    await expect(
      editIntegration(t.deps, 'gh', { github: { token: 'ghp_token_number_two' } }, ADMIN),
    ).rejects.toMatchObject({ kind: 'check-failed' });
    expect(t.repo.commits.length).toBe(before);
  });

  it('moving to named runtimes rewrites the placements in one commit and removes the old file', async () => {
    await stored('gh', 'github', SAMPLE.github);
    const r = await editIntegration(t.deps, 'gh', { sharing: { runtimes: ['local'] } }, ADMIN);
    expect(t.repo.paths().filter((p) => p.startsWith('resources/'))).toEqual([
      'resources/runtimes/local/gh.yaml',
    ]);
    expect(t.repo.commits.at(-1)!.changed.sort()).toEqual([
      `${ALL}/gh.yaml`,
      'resources/runtimes/local/gh.yaml',
    ]);
    expect(r.integration.sharing).toEqual({ runtimes: ['local'] });
  });

  it('refuses sharing with a runtime that cannot use the settings, with the hints', async () => {
    await stored('ecr', 'ecr', SAMPLE.ecrRole);
    await expect(
      editIntegration(t.deps, 'ecr', { sharing: { runtimes: ['local', 'cloud'] } }, ADMIN),
    ).rejects.toMatchObject({
      kind: 'input',
      hints: [
        'Share the integration with hybrid runtimes only, or switch to access-key mode (--access-key-id).',
      ],
    });
  });

  it('refuses to commit when the connection settings changed while being tested', async () => {
    await stored('gh', 'github', SAMPLE.github);
    t.repo.beforeNextMutate = () =>
      editIntegration(
        t.deps,
        'gh',
        { github: { token: 'ghp_token_by_someone' }, skipTest: true },
        ADMIN,
      ).then(() => undefined);
    const before = t.repo.commits.length;
    await expect(editIntegration(t.deps, 'gh', { description: 'mine' }, ADMIN)).rejects.toMatchObject({
      kind: 'conflict',
      message: 'Integration "gh" was changed by someone else while it was being tested.',
    });
    expect(t.repo.commits.length).toBe(before + 1); // the other writer's only
  });

  it('keeps a concurrent change of other fields', async () => {
    await stored('gh', 'github', SAMPLE.github);
    t.repo.beforeNextMutate = () =>
      editIntegration(t.deps, 'gh', { description: 'theirs', skipTest: true }, ADMIN).then(() => undefined);
    const r = await editIntegration(t.deps, 'gh', { github: { token: 'ghp_token_number_two' } }, ADMIN);
    expect(r.integration.description).toBe('theirs');
    expect(lastInput()).toMatchObject({ token: 'ghp_token_number_two' });
  });

  it('refuses when it became another type while being edited', async () => {
    await stored('gh', 'github', SAMPLE.github);
    t.repo.beforeNextMutate = async () => {
      await deleteIntegration(t.deps, 'gh', { confirm: 'DELETE' }, ADMIN);
      await stored('gh', 'ecr', SAMPLE.ecrRole);
    };
    await expect(
      editIntegration(t.deps, 'gh', { github: { token: 'ghp_token_number_two' } }, ADMIN),
    ).rejects.toMatchObject({ kind: 'conflict', message: expect.stringContaining('became a registry.ecr') });
  });

  it('pulls before saying an integration does not exist', async () => {
    await expect(editIntegration(t.deps, 'nope', { description: 'x' }, ADMIN)).rejects.toMatchObject({
      kind: 'not-found',
    });
    await stored('gh', 'github', SAMPLE.github);
    const text = t.repo.text(`${ALL}/gh.yaml`)!;
    t.repo.put({ [`${ALL}/gh.yaml`]: undefined });
    t.repo.pushElsewhere(`${ALL}/gh.yaml`, text);
    const r = await editIntegration(t.deps, 'gh', { description: 'found', skipTest: true }, ADMIN);
    expect(r.integration.description).toBe('found');
  });
});
