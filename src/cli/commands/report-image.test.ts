import { describe, expect, it } from 'vitest';
import { InputError } from '../../domain/errors.js';
import { stripCredentials } from '../git-facts.js';
import { buildReport } from './report-image.js';
import { cfClientEnv } from '../../enrichment/codefresh/cf-client-env.js';

const noGit = { localGit: false };

describe('buildReport', () => {
  it('maps the CF_* variables, flags win over them, empty values are dropped', async () => {
    const warnings: string[] = [];
    const body = await buildReport(
      { ...noGit, workflowName: 'from-flag' },
      {
        CF_IMAGE: 'reg.example/app:1',
        CF_CONTAINER_REGISTRY_INTEGRATION: 'ecr',
        CF_RUNTIME_NAME: 'prod',
        CF_GIT_REPO: 'acme/app',
        CF_GIT_BRANCH: 'main',
        CF_WORKFLOW_NAME: 'from-env',
        CF_WORKFLOW_URL: 'https://ci/1',
        CF_LOGS_URL: '',
        CF_JIRA_PROJECT_PREFIX: 'PAY',
        CF_JIRA_FAIL_ON_NOT_FOUND: 'true',
        CF_JIRA_INTEGRATION: 'jira',
      },
      '/',
      (w) => warnings.push(w),
    );
    expect(body).toEqual({
      image: 'reg.example/app:1',
      registryIntegration: 'ecr',
      runtime: 'prod',
      git: { repo: 'acme/app', branch: 'main' },
      issues: { integration: 'jira', projectPrefix: 'PAY', failOnNotFound: true },
      workflow: { name: 'from-flag', url: 'https://ci/1' },
    });
    expect(warnings.join('\n')).toContain('CF_JIRA_INTEGRATION is deprecated');
  });

  it('warns that credential variables are ignored and never copies them', async () => {
    const warnings: string[] = [];
    const body = await buildReport(
      noGit,
      { CF_IMAGE: 'a/b:1', CF_REGISTRY_PASSWORD: 'hunter2', CF_GITHUB_TOKEN: 'ghp_x' },
      '/',
      (w) => warnings.push(w),
    );
    expect(JSON.stringify(body)).not.toMatch(/hunter2|ghp_x/);
    expect(warnings.filter((w) => w.startsWith('warning:'))).toHaveLength(2);
  });

  it('honours CF_GIT_REVISION and Codefresh spellings; CF_HOST is the server, not a credential', async () => {
    const warnings: string[] = [];
    const sha = 'abc1234'.padEnd(40, '0');
    const body = await buildReport(
      noGit,
      {
        CF_IMAGE: 'a/b:1',
        CF_HOST: 'https://imagetrail.example',
        CF_API_KEY: 'key',
        CF_GIT_REVISION: sha,
        CF_GIT_PROVIDER: 'GitHub',
        CF_JIRA_FAIL_ON_NOT_FOUND: 'on',
        CF_CONTAINER_REGISTRY_INTEGRATION: 'GHCR_GITHUB_TOKEN_AUTHENTICATION',
        CF_GERRIT_PASSWORD: 'gerrit-pw',
      },
      '/',
      (w) => warnings.push(w),
    );
    expect(body).toEqual({
      image: 'a/b:1',
      registryIntegration: 'ghcr-github-token-authentication',
      git: { provider: 'github', sha },
      issues: { failOnNotFound: true },
    });
    expect(warnings.join('\n')).not.toContain('CF_HOST');
    expect(warnings.join('\n')).toContain('warning: CF_GERRIT_PASSWORD is ignored');
    expect(cfClientEnv({ CF_HOST: 'https://imagetrail.example', CF_API_KEY: 'key' })).toMatchObject({
      IMAGETRAIL_SERVER: 'https://imagetrail.example',
      IMAGETRAIL_TOKEN: 'key',
    });
  });

  it('requires the image and a boolean fail-on-not-found', async () => {
    await expect(buildReport(noGit, {}, '/', () => undefined)).rejects.toBeInstanceOf(InputError);
    await expect(
      buildReport(noGit, { CF_IMAGE: 'a/b:1', CF_JIRA_FAIL_ON_NOT_FOUND: 'maybe' }, '/', () => undefined),
    ).rejects.toThrow(/true or false/);
  });
});

describe('stripCredentials', () => {
  it.each([
    ['https://x-access-token:ghs_abc@github.com/acme/app.git', 'https://github.com/acme/app.git'],
    ['https://user@gitlab.com/a/b', 'https://gitlab.com/a/b'],
    ['git@github.com:acme/app.git', 'git@github.com:acme/app.git'],
    ['https://github.com/acme/app', 'https://github.com/acme/app'],
  ])('%s', (input, out) => expect(stripCredentials(input)).toBe(out));
});
