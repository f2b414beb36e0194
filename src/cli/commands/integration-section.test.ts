import { describe, expect, it } from 'vitest';
import { gitGithubDefinition } from '../../integrations/types/git-github/definition.js';
import { handlerFor } from '../../integrations/types/index.js';
import { issueJiraDefinition } from '../../integrations/types/issue-jira/definition.js';
import { registryEcrDefinition } from '../../integrations/types/registry-ecr/definition.js';
import { sectionFromFlags, type SecretSource } from './integration-section.js';

const ROLE = 'arn:aws:iam::123456789012:role/r';
const KEY_ID = 'AKIAABCDEFGHIJKLMNOP';

/** Standard input holding `piped` (read at most once, as a process can), and these environment variables. */
function secrets(piped = '', env: Record<string, string> = {}): SecretSource & { reads: string[] } {
  const reads: string[] = [];
  return {
    env,
    reads,
    stdin: (flag) => {
      reads.push(flag);
      return Promise.resolve(`${piped}\n`);
    },
  };
}

describe('integration add: a section from the type’s flags, the same code for every type', () => {
  it('ECR access key: the mode from the flags given, the secret from stdin or the environment', async () => {
    const o = { region: 'eu-west-1', accessKeyId: KEY_ID, secretAccessKeyStdin: true };
    const piped = await sectionFromFlags(registryEcrDefinition, o, 'add', secrets('s3cret'));
    expect(piped).toEqual({
      region: 'eu-west-1',
      auth: { mode: 'accessKey', accessKeyId: KEY_ID, secretAccessKey: 's3cret' },
    });
    const env = secrets('', { AWS_SECRET_ACCESS_KEY: 'from-env' });
    const fromEnv = await sectionFromFlags(
      registryEcrDefinition,
      { region: 'eu-west-1', accessKeyId: KEY_ID },
      'add',
      env,
    );
    expect(fromEnv).toMatchObject({ auth: { secretAccessKey: 'from-env' } });
    expect(env.reads).toEqual([]);
    expect(handlerFor('registry.ecr').createInput.safeParse(piped).success).toBe(true);
  });

  it('ECR IAM role: numbers from the spec, endpoints nested by their dot paths', async () => {
    const o = {
      region: 'eu-west-1',
      roleArn: ROLE,
      durationSeconds: '900',
      stsEndpoint: 'https://sts.example',
    };
    const section = await sectionFromFlags(registryEcrDefinition, o, 'add', secrets());
    expect(section).toEqual({
      region: 'eu-west-1',
      auth: { mode: 'iamRole', roleArn: ROLE, durationSeconds: 900 },
      endpoints: { sts: 'https://sts.example' },
    });
    expect(handlerFor('registry.ecr').createInput.safeParse(section).success).toBe(true);
    await expect(
      sectionFromFlags(registryEcrDefinition, { ...o, durationSeconds: 'soon' }, 'add', secrets()),
    ).rejects.toThrow('--duration-seconds must be a whole number, got "soon"');
  });

  it('says which flags are missing, which choice to make, and which flags do not go together', async () => {
    const add = (o: Record<string, unknown>, s = secrets()) =>
      sectionFromFlags(registryEcrDefinition, o, 'add', s);
    await expect(add({ roleArn: ROLE })).rejects.toThrow('--region is required (AWS region of the registry');
    await expect(add({ region: 'eu-west-1' })).rejects.toThrow(
      'Choose one: --role-arn <arn> (IAM role) or --access-key-id <id> --secret-access-key-stdin (Access key).',
    );
    await expect(add({ region: 'eu-west-1', roleArn: ROLE, accessKeyId: KEY_ID })).rejects.toThrow(
      'Use either --role-arn (IAM role) or --access-key-id (Access key), not both.',
    );
    await expect(add({ region: 'eu-west-1', accessKeyId: KEY_ID })).rejects.toThrow(
      'Amazon ECR needs the secret access key: pipe it in with --secret-access-key-stdin.',
    );
    const empty = add({ region: 'eu-west-1', accessKeyId: KEY_ID, secretAccessKeyStdin: true }, secrets(' '));
    await expect(empty).rejects.toThrow('No secret access key on standard input.');
  });

  it('GitHub: the token from stdin or GITHUB_TOKEN, and the words to pass one', async () => {
    const s = secrets('ghp_piped');
    expect(await sectionFromFlags(gitGithubDefinition, { tokenStdin: true }, 'add', s)).toEqual({
      token: 'ghp_piped',
    });
    const env = secrets('', { GITHUB_TOKEN: 'ghp_env' });
    expect(await sectionFromFlags(gitGithubDefinition, {}, 'add', env)).toEqual({ token: 'ghp_env' });
    await expect(sectionFromFlags(gitGithubDefinition, {}, 'add', secrets())).rejects.toThrow(
      /--token-stdin/,
    );
  });

  it('Jira: the auth kind from the flags given, or from the one secret in the environment', async () => {
    const cloud = { baseUrl: 'https://x.atlassian.net', email: 'a@example.com', apiTokenStdin: true };
    const section = await sectionFromFlags(issueJiraDefinition, cloud, 'add', secrets('tok'));
    expect(section).toEqual({
      baseUrl: 'https://x.atlassian.net',
      auth: { kind: 'cloud', email: 'a@example.com', apiToken: 'tok' },
    });
    expect(handlerFor('issue.jira').createInput.safeParse(section).success).toBe(true);
    const byPat = await sectionFromFlags(
      issueJiraDefinition,
      { baseUrl: 'https://jira.example' },
      'add',
      secrets('', { JIRA_PAT: 'pat-1234567' }),
    );
    expect(byPat).toEqual({ baseUrl: 'https://jira.example', auth: { kind: 'server', pat: 'pat-1234567' } });
    await expect(
      sectionFromFlags(
        issueJiraDefinition,
        { baseUrl: 'https://x.atlassian.net', email: 'a@example.com' },
        'add',
        secrets(),
      ),
    ).rejects.toThrow('Jira needs the API token: pipe it in with --api-token-stdin.');
    await expect(
      sectionFromFlags(issueJiraDefinition, { ...cloud, patStdin: true }, 'add', secrets('x')),
    ).rejects.toThrow(
      'Use either --email --api-token-stdin (Jira Cloud) or --pat-stdin (Server / Data Center), not both.',
    );
  });
});

describe('integration edit: only what was given', () => {
  it('"" clears a setting whose flag says so; no secret comes from the environment unasked', async () => {
    const env = secrets('', { GITHUB_TOKEN: 'ghp_env' });
    const section = await sectionFromFlags(gitGithubDefinition, { apiUrl: '' }, 'edit', env);
    expect(section).toEqual({ apiUrl: null });
    expect(handlerFor('git.github').patchInput.safeParse(section).success).toBe(true);
    const jira = await sectionFromFlags(
      issueJiraDefinition,
      { projectPrefix: '', failOnNotFound: false },
      'edit',
      env,
    );
    expect(jira).toEqual({ projectPrefixes: null, failOnNotFound: false });
    expect(await sectionFromFlags(gitGithubDefinition, {}, 'edit', env)).toBeUndefined();
  });

  it('a setting picks its alternative; a new access key ID comes with its secret', async () => {
    const edit = (o: Record<string, unknown>, s = secrets()) =>
      sectionFromFlags(registryEcrDefinition, o, 'edit', s);
    expect(await edit({ externalId: 'ext' })).toEqual({ auth: { mode: 'iamRole', externalId: 'ext' } });
    expect(await edit({ secretAccessKeyStdin: true }, secrets('new'))).toEqual({
      auth: { mode: 'accessKey', secretAccessKey: 'new' },
    });
    await expect(edit({ accessKeyId: KEY_ID })).rejects.toThrow(
      '--access-key-id comes with --secret-access-key-stdin.',
    );
    const env = secrets('', { AWS_SECRET_ACCESS_KEY: 'from-env' });
    expect(await edit({ accessKeyId: KEY_ID }, env)).toEqual({
      auth: { mode: 'accessKey', accessKeyId: KEY_ID, secretAccessKey: 'from-env' },
    });
  });
});
