import { describe, expect, it, vi } from 'vitest';
import { IntegrationV1alpha1 } from '../../config-repo/kinds/integration-v1alpha1.js';
import type { SealedValue } from '../../config-repo/kinds/common.js';
import { IntegrationView } from '../../contract/integrations.js';
import { sectionView } from './definition.js';
import { handlerFor, INTEGRATION_TYPES, sectionOf } from './index.js';
import { gitGithub } from './git-github/handler.js';
import { issueJira } from './issue-jira/handler.js';
import { registryEcr } from './registry-ecr/handler.js';

// A stand-in for age: the tests are about which fields are sealed and kept, not about the cipher.
const RECIPIENT = 'age1' + 'q'.repeat(58);
const fakeSeal = async (clear: string): Promise<SealedValue> => ({
  sealed: `-----BEGIN AGE ENCRYPTED FILE-----\n${Buffer.from(clear).toString('base64')}\n-----END AGE ENCRYPTED FILE-----`,
  recipients: [RECIPIENT],
});
const fakeUnseal = vi.fn(async (v: SealedValue) =>
  Buffer.from(v.sealed.split('\n')[1] ?? '', 'base64').toString(),
);
const runtime = (type: 'hybrid' | 'hosted', version = '0.2.0') => ({
  metadata: { name: 'rt' },
  spec: { type, version, recipient: RECIPIENT },
});

const samples = {
  'registry.ecr': {
    region: 'eu-west-1',
    auth: { mode: 'accessKey', accessKeyId: 'AKIAABCDEFGHIJKLMNOP', secretAccessKey: 'secret-access-key-1' },
  },
  'git.github': { apiUrl: 'https://ghe.example/api/v3', token: 'ghp_token_one' },
  'issue.jira': {
    baseUrl: 'https://site.atlassian.net',
    auth: { kind: 'cloud', email: 'a@example.com', apiToken: 'jira-token-1' },
    projectPrefixes: 'PROJ',
  },
} as const;

describe.each(INTEGRATION_TYPES)('handler %s', (type) => {
  const h = handlerFor(type);
  const input = h.createInput.parse(samples[type]);

  it('builds a section the Integration schema accepts under its own key, every secret sealed', async () => {
    const section = await h.build(input, fakeSeal);
    const resource = {
      apiVersion: 'imagetrail.dev/v1alpha1',
      kind: 'Integration',
      metadata: { name: 'x' },
      spec: { type, [h.section]: section },
    };
    const parsed = IntegrationV1alpha1.parse(resource);
    expect(sectionOf(parsed.spec)).toEqual(section);
    const text = JSON.stringify(section);
    for (const secret of h.secretsOf(input)) expect(text).not.toContain(secret);
    expect(h.sealedFields(section).length).toBe(h.secretsOf(input).length);
  });

  it('views secrets only as { set: true }', async () => {
    const view = JSON.stringify(h.view(await h.build(input, fakeSeal)));
    expect(view).toContain('{"set":true}');
    expect(view).not.toContain('BEGIN AGE');
  });

  it('views a section that its definition’s view schema reads back from a parsed answer, unchanged', async () => {
    const section = JSON.parse(JSON.stringify(h.view(await h.build(input, fakeSeal)))) as unknown;
    const answer = IntegrationView.parse({
      name: 'x',
      type,
      sharing: { allRuntimes: true },
      placements: [],
      availability: [],
      [h.section]: section,
    });
    expect(sectionView(h.definition, answer)).toEqual(section);
  });

  it('merging no patch gives back the input, unsealing the stored secret', async () => {
    fakeUnseal.mockClear();
    const merged = await h.merge(await h.build(input, fakeSeal), undefined, fakeUnseal);
    expect(merged).toEqual(input);
    expect(fakeUnseal).toHaveBeenCalledTimes(h.secretsOf(input).length);
  });
});

describe('git.github', () => {
  it('an edit without a token keeps the stored one; with one, replaces it without unsealing', async () => {
    const stored = await gitGithub.build({ token: 'ghp_old_token' }, fakeSeal);
    fakeUnseal.mockClear();
    expect(await gitGithub.merge(stored, { apiUrl: 'https://ghe.example/api/v3' }, fakeUnseal)).toEqual({
      apiUrl: 'https://ghe.example/api/v3',
      token: 'ghp_old_token',
    });
    fakeUnseal.mockClear();
    expect(await gitGithub.merge(stored, { token: 'ghp_new_token' }, fakeUnseal)).toEqual({
      token: 'ghp_new_token',
    });
    expect(fakeUnseal).not.toHaveBeenCalled();
    const withUrl = await gitGithub.build({ apiUrl: 'https://ghe.example/api/v3', token: 'ghp_t' }, fakeSeal);
    expect(await gitGithub.merge(withUrl, { apiUrl: null }, fakeUnseal)).toEqual({ token: 'ghp_t' });
  });

  it('is available on every runtime, hosted and old ones included', () => {
    expect(gitGithub.availability(samples['git.github'], runtime('hosted', '0.0.1')).available).toBe(true);
  });

  it('rejects an empty token and an unknown field', () => {
    expect(gitGithub.createInput.safeParse({ token: ' ' }).success).toBe(false);
    expect(gitGithub.createInput.safeParse({ token: 'x', url: 'y' }).success).toBe(false);
  });
});

describe('issue.jira', () => {
  it('keeps the stored secret within the same auth kind; a kind switch needs the new secret', async () => {
    const stored = await issueJira.build(issueJira.createInput.parse(samples['issue.jira']), fakeSeal);
    const sameKind = await issueJira.merge(
      stored,
      { auth: { kind: 'cloud', email: 'b@example.com' } },
      fakeUnseal,
    );
    expect(sameKind.auth).toEqual({ kind: 'cloud', email: 'b@example.com', apiToken: 'jira-token-1' });
    await expect(issueJira.merge(stored, { auth: { kind: 'server' } }, fakeUnseal)).rejects.toThrow(
      /personal access token/,
    );
    const server = await issueJira.merge(
      stored,
      { auth: { kind: 'server', pat: 'pat-1234567' } },
      fakeUnseal,
    );
    expect(server.auth).toEqual({ kind: 'server', pat: 'pat-1234567' });
    expect(issueJira.sealedFields(await issueJira.build(server, fakeSeal)).map((f) => f.path)).toEqual([
      'auth.pat',
    ]);
  });

  it('null clears the optional defaults', async () => {
    const stored = await issueJira.build(
      issueJira.createInput.parse({ ...samples['issue.jira'], failOnNotFound: true }),
      fakeSeal,
    );
    const merged = await issueJira.merge(stored, { projectPrefixes: null, failOnNotFound: null }, fakeUnseal);
    expect(merged).not.toHaveProperty('projectPrefixes');
    expect(merged).not.toHaveProperty('failOnNotFound');
  });

  it('checks project prefixes with the enrichment parser', () => {
    expect(
      issueJira.createInput.safeParse({ ...samples['issue.jira'], projectPrefixes: '1BAD' }).success,
    ).toBe(false);
  });
});

describe('registry.ecr', () => {
  it('keeps rules 2 and 3', () => {
    const role = {
      region: 'eu-west-1',
      auth: { mode: 'iamRole', roleArn: 'arn:aws:iam::123456789012:role/r' },
    };
    const ecrRole = registryEcr.createInput.parse(role);
    expect(registryEcr.availability(ecrRole, runtime('hosted')).available).toBe(false);
    expect(registryEcr.availability(ecrRole, runtime('hybrid')).available).toBe(true);
    const key = registryEcr.createInput.parse(samples['registry.ecr']);
    expect(registryEcr.availability(key, runtime('hybrid', '0.1.26')).reason).toContain('0.1.27');
  });

  it('a mode switch to access key needs the key ID and the secret', async () => {
    const stored = await registryEcr.build(
      registryEcr.createInput.parse({
        region: 'eu-west-1',
        auth: { mode: 'iamRole', roleArn: 'arn:aws:iam::123456789012:role/r' },
      }),
      fakeSeal,
    );
    await expect(
      registryEcr.merge(
        stored,
        { auth: { mode: 'accessKey', accessKeyId: 'AKIAABCDEFGHIJKLMNOP' } },
        fakeUnseal,
      ),
    ).rejects.toThrow(/secret access key/);
  });
});

describe('registry.ecr region', () => {
  const base = samples['registry.ecr'];
  it.each([
    'us-iso-east-1',
    'us-isob-east-1',
    'eu-isoe-west-1',
    'us-isof-south-1',
    'eusc-de-east-1',
    'cn-north-1',
  ])('accepts %s: image hosts of its partition are recognized', (region) => {
    expect(registryEcr.createInput.safeParse({ ...base, region }).success).toBe(true);
  });
  it('refuses a region of no AWS partition on add and edit, saying why', () => {
    for (const schema of [registryEcr.createInput, registryEcr.patchInput]) {
      const r = schema.safeParse({ ...base, region: 'xx-east-1' });
      expect(r.success).toBe(false);
      expect(JSON.stringify(r.error?.issues)).toMatch(/no ECR image host of it could be recognized/);
    }
  });
});
