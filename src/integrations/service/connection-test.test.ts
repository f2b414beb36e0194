import { beforeEach, describe, expect, it } from 'vitest';
import { ADMIN, SAMPLE, serviceHarness, type ServiceHarness } from './fakes.js';
import { testDraft, testStored } from './connection-test.js';
import { createIntegration } from './create.js';
import { deleteIntegration } from './delete.js';

let t: ServiceHarness;
beforeEach(async () => {
  t = await serviceHarness({ local: 'hybrid', cloud: 'hosted' });
});

const ALL = 'resources/all-runtimes-all-clusters';
const OTHER_API = 'https://other.example/api/v3';

/** `gh` shared with all runtimes at SAMPLE's API URL, and a copy for `runtime` at another. */
async function twoCopies(runtime: string): Promise<void> {
  const base = { name: 'gh', type: 'git.github', skipTest: true };
  await createIntegration(t.deps, { ...base, sharing: { allRuntimes: true }, github: SAMPLE.github }, ADMIN);
  const shared = t.repo.text(`${ALL}/gh.yaml`)!;
  await deleteIntegration(t.deps, 'gh', { confirm: 'DELETE' }, ADMIN);
  const own = { ...SAMPLE.github, apiUrl: OTHER_API };
  await createIntegration(t.deps, { ...base, sharing: { runtimes: [runtime] }, github: own }, ADMIN);
  t.repo.put({ [`${ALL}/gh.yaml`]: shared });
}

describe('testStored', () => {
  it('tests the copy the runtime sees: its own placement wins over all runtimes', async () => {
    await twoCopies('local');
    await testStored(t.deps, 'gh', undefined, ADMIN);
    await testStored(t.deps, 'gh', 'cloud', ADMIN);
    expect(t.executor.tests.map((x) => [x.runtime, (x.input as { apiUrl: string }).apiUrl])).toEqual([
      ['local', OTHER_API],
      ['cloud', SAMPLE.github.apiUrl],
    ]);
  });

  it('prefers the local runtime, else the first one this server can run, and audits the secret use', async () => {
    await t.store('gh', 'git.github', SAMPLE.github);
    t.executor.elsewhere.set('local', 'an agent runtime');
    const checks: string[] = [];
    const r = await testStored(t.deps, 'gh', undefined, ADMIN, (c) => checks.push(c.name));
    expect(r).toMatchObject({ ok: true, runtime: { name: 'cloud' } });
    expect(checks).toEqual(['user']);
    expect(t.executor.tests.at(-1)!.input).toEqual(SAMPLE.github);
    expect(t.audit.events.at(-1)).toMatchObject({
      action: 'integration.secret-use',
      detail: { use: 'test', fields: ['github.token'], runtime: 'cloud' },
    });
    expect(JSON.stringify(t.audit.events)).not.toContain(SAMPLE.github.token);
  });

  it('refuses a runtime the integration is not available on, and an unknown runtime or name', async () => {
    await t.store('ecr', 'registry.ecr', SAMPLE.ecrRole);
    await expect(testStored(t.deps, 'ecr', 'cloud', ADMIN)).rejects.toMatchObject({
      kind: 'input',
      hints: ['Pick one of: local'],
    });
    await expect(testStored(t.deps, 'ecr', 'nope', ADMIN)).rejects.toMatchObject({ kind: 'input' });
    await expect(testStored(t.deps, 'nope', undefined, ADMIN)).rejects.toMatchObject({ kind: 'not-found' });
    t.executor.elsewhere.set('local', 'runs elsewhere');
    await expect(testStored(t.deps, 'ecr', 'local', ADMIN)).rejects.toMatchObject({ kind: 'check-failed' });
    expect(t.executor.tests).toEqual([]);
  });
});

describe('testDraft', () => {
  it('tests complete settings without reading anything stored', async () => {
    const before = t.repo.commits.length;
    const r = await testDraft(t.deps, { type: 'git.github', github: SAMPLE.github }, ADMIN);
    expect(r.ok).toBe(true);
    expect(t.executor.tests).toEqual([{ type: 'github', runtime: 'local', input: SAMPLE.github }]);
    expect(t.repo.commits.length).toBe(before);
    expect(t.audit.events).toEqual([]);
  });

  it('takes the type from the section present, and asks for one when there is none', async () => {
    await testDraft(t.deps, { jira: SAMPLE.jira }, ADMIN);
    expect(t.executor.tests.map((x) => x.type)).toEqual(['jira']);
    await expect(testDraft(t.deps, {}, ADMIN)).rejects.toMatchObject({
      kind: 'input',
      details: [{ path: 'type' }],
    });
  });

  it('fills a left-out secret from the stored integration of that name, only for the same destinations', async () => {
    await t.store('gh', 'git.github', SAMPLE.github);
    await testDraft(t.deps, { name: 'gh', github: { apiUrl: SAMPLE.github.apiUrl } }, ADMIN);
    expect(t.executor.tests.at(-1)!.input).toEqual(SAMPLE.github);
    expect(t.audit.events.at(-1)).toMatchObject({ detail: { use: 'draft-test', fields: ['github.token'] } });

    await expect(
      testDraft(t.deps, { name: 'gh', github: { apiUrl: OTHER_API } }, ADMIN),
    ).rejects.toMatchObject({
      kind: 'input',
      hints: ['Enter the token again: imagetrail integration edit gh --token-stdin'],
    });
    expect(t.executor.tests).toHaveLength(1);
  });

  it('without a stored integration, an incomplete draft says what is missing under the section', async () => {
    await expect(
      testDraft(t.deps, { github: { apiUrl: SAMPLE.github.apiUrl } }, ADMIN),
    ).rejects.toMatchObject({
      kind: 'input',
      message: expect.stringContaining('to test the draft: github.token'),
    });
  });

  it('refuses sharing with a runtime that cannot use the draft, with the hints', async () => {
    await expect(
      testDraft(t.deps, { ecr: SAMPLE.ecrRole, sharing: { runtimes: ['cloud'] } }, ADMIN),
    ).rejects.toMatchObject({ kind: 'input', hints: [expect.stringContaining('hybrid runtimes only')] });
    expect(t.executor.tests).toEqual([]);
  });

  it('registers secrets of the body before validating it', async () => {
    const secret = 'ghp_token_in_a_bad_body';
    await expect(testDraft(t.deps, { github: { token: secret, nonsense: 1 } }, ADMIN)).rejects.toMatchObject({
      kind: 'input',
    });
    expect(t.redactor.redact(`x ${secret} y`)).toBe('x [REDACTED] y');
  });
});
