import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../domain/errors.js';
import { ImageReportInput } from '../../contract/images.js';
import { CF_VARIABLES, type CfName } from './cf-variable-table.js';
import {
  cfBoolean,
  cfReportBody,
  gitProvider,
  integrationName,
  MAX_DOCKERFILE_BYTES,
  readCfVariables,
} from './cf-variables.js';

const SHA = 'ab12'.padEnd(40, '0');

function map(vars: Record<string, string>, side: 'cli' | 'server' = 'server') {
  const { values, notes } = readCfVariables(vars, side);
  const body = cfReportBody(values, notes);
  return { body, notes, warnings: notes.filter((n) => n.level === 'warn').map((n) => n.text) };
}

describe('the CF_* mapping', () => {
  it('honours CF_GIT_REVISION (the classic step), and CF_GIT_SHA only as its older spelling', () => {
    expect(map({ CF_IMAGE: 'a/b:1', CF_GIT_REVISION: SHA }).body).toMatchObject({ git: { sha: SHA } });
    expect(map({ CF_IMAGE: 'a/b:1', CF_GIT_SHA: SHA }).body).toMatchObject({ git: { sha: SHA } });
    const both = map({ CF_IMAGE: 'a/b:1', CF_GIT_REVISION: SHA, CF_GIT_SHA: 'ffff'.padEnd(40, '1') });
    expect(both.body).toMatchObject({ git: { sha: SHA } });
    expect(both.warnings).toContain('CF_GIT_SHA is ignored: CF_GIT_REVISION names the commit.');
  });

  it.each([
    ['GitHub', 'github'],
    ['GITLAB', 'gitlab'],
    ['Bitbucket-Server', 'bitbucket-server'],
    ['bitbucket_server', 'bitbucket-server'],
    ['gerrit', 'gerrit'],
  ])('provider %s → %s', (given, want) => expect(gitProvider(given)).toBe(want));

  it('refuses an unknown provider with the accepted list', () => {
    expect(() => gitProvider('svn')).toThrow(InputError);
    expect(() => gitProvider('svn')).toThrow(/github, gitlab, bitbucket, bitbucket-server, gerrit/);
  });

  it.each([
    ['on', true],
    ['YES', true],
    ['true', true],
    ['1', true],
    ['off', false],
    ['No', false],
    ['FALSE', false],
    ['0', false],
  ])('boolean %s → %s', (given, want) => expect(cfBoolean(given, 'X')).toBe(want));

  it('refuses a boolean it cannot read', () => expect(() => cfBoolean('maybe', 'X')).toThrow(/on\/off/));

  it('maps integration names as Codefresh allows them to DNS labels, and says so', () => {
    expect(integrationName('GHCR_GITHUB_TOKEN_AUTHENTICATION')).toBe('ghcr-github-token-authentication');
    expect(integrationName('My Jira (prod)')).toBe('my-jira-prod');
    expect(integrationName('prod-ecr')).toBe('prod-ecr');
    expect(integrationName('x'.repeat(70) + '_y')).toBe('x'.repeat(63));
    const m = map({
      CF_IMAGE: 'a/b:1',
      CF_CONTAINER_REGISTRY_INTEGRATION: 'GHCR_GITHUB_TOKEN_AUTHENTICATION',
    });
    expect(m.body['registryIntegration']).toBe('ghcr-github-token-authentication');
    expect(m.notes).toContainEqual({
      level: 'info',
      text: 'CF_CONTAINER_REGISTRY_INTEGRATION "GHCR_GITHUB_TOKEN_AUTHENTICATION" is looked up as "ghcr-github-token-authentication".',
    });
  });

  it('decodes CF_DOCKERFILE_CONTENT, and drops one that is too large, not base64 or not text', () => {
    const text = 'FROM alpine\nRUN true\n';
    expect(
      map({ CF_IMAGE: 'a/b:1', CF_DOCKERFILE_CONTENT: Buffer.from(text).toString('base64') }).body,
    ).toMatchObject({
      dockerfile: text,
    });
    const big = Buffer.alloc(MAX_DOCKERFILE_BYTES + 1, 'a').toString('base64');
    expect(map({ CF_IMAGE: 'a/b:1', CF_DOCKERFILE_CONTENT: big }).warnings.join()).toMatch(/more than 65536/);
    expect(map({ CF_IMAGE: 'a/b:1', CF_DOCKERFILE_CONTENT: 'not base64!' }).warnings.join()).toMatch(
      /not base64/,
    );
    const binary = Buffer.from([0xff, 0xfe, 0xfd]).toString('base64');
    expect(map({ CF_IMAGE: 'a/b:1', CF_DOCKERFILE_CONTENT: binary }).warnings.join()).toMatch(/not UTF-8/);
  });

  it('every documented variable is applied or warned about, on both sides; none is silent', () => {
    const applied = new Set<CfName>([
      'CF_IMAGE',
      'CF_CONTAINER_REGISTRY_INTEGRATION',
      'CF_RUNTIME_NAME',
      'CF_GIT_PROVIDER',
      'CF_GIT_REPO',
      'CF_GIT_BRANCH',
      'CF_GIT_REVISION',
      'CF_GIT_SHA',
      'CF_GIT_INTEGRATION',
      'CF_ISSUE_TRACKING_INTEGRATION',
      'CF_JIRA_INTEGRATION',
      'CF_JIRA_PROJECT_PREFIX',
      'CF_JIRA_MESSAGE',
      'CF_JIRA_FAIL_ON_NOT_FOUND',
      'CF_WORKFLOW_NAME',
      'CF_WORKFLOW_URL',
      'CF_LOGS_URL',
      'CF_CI_TYPE',
      'CF_DOCKERFILE_CONTENT',
    ]);
    // Used by the CLI to reach the server; used by Codefresh's client before the request reaches here.
    const connection = {
      cli: ['CF_API_KEY', 'CF_HOST', 'CF_PLATFORM_URL'],
      server: ['CF_HOST', 'CF_PLATFORM_URL', 'CF_LOCAL', 'CF_INSECURE', 'CF_VERBOSE'],
    };
    const values: Record<string, string> = {
      CF_GIT_PROVIDER: 'github',
      CF_JIRA_FAIL_ON_NOT_FOUND: 'on',
      CF_DOCKERFILE_CONTENT: Buffer.from('FROM x').toString('base64'),
      CF_GIT_REVISION: SHA,
      CF_GIT_SHA: SHA,
      CF_WORKFLOW_URL: 'https://ci/1',
      CF_LOGS_URL: 'https://ci/1/logs',
    };
    for (const side of ['cli', 'server'] as const) {
      for (const name of Object.keys(CF_VARIABLES) as CfName[]) {
        if (applied.has(name) || connection[side].includes(name)) continue;
        const { warnings, body } = map({ CF_IMAGE: 'a/b:1', [name]: 'value-of-' + name }, side);
        expect(warnings.join('\n'), `${name} on the ${side} side`).toContain(name);
        expect(JSON.stringify(body)).not.toContain('value-of-');
      }
      for (const name of applied) {
        const { body, warnings } = map({ CF_IMAGE: 'a/b:1', [name]: values[name] ?? 'v1' }, side);
        const without = map({ CF_IMAGE: 'a/b:1' }, side).body;
        expect(body, `${name} changes the report`).not.toEqual(without);
        if (name !== 'CF_JIRA_INTEGRATION') expect(warnings, name).toEqual([]);
      }
    }
  });

  it('a full set of variables makes a valid report body', () => {
    const { body } = map({
      CF_IMAGE: '123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1',
      CF_CONTAINER_REGISTRY_INTEGRATION: 'PROD_ECR',
      CF_GIT_PROVIDER: 'GitHub',
      CF_GIT_REPO: 'acme/app',
      CF_GIT_BRANCH: 'main',
      CF_GIT_REVISION: SHA,
      CF_JIRA_FAIL_ON_NOT_FOUND: 'off',
      CF_WORKFLOW_URL: 'https://ci/1',
      CF_DOCKERFILE_CONTENT: Buffer.from('FROM x').toString('base64'),
    });
    expect(ImageReportInput.safeParse(body).success).toBe(true);
  });

  it('names several unknown variables in one warning, never their values', () => {
    const { warnings } = map({ CF_IMAGE: 'a/b:1', CF_BUILD_ID: 'secret-ish-1', CF_BRANCH: 'x' });
    expect(warnings).toEqual(['CF_BRANCH, CF_BUILD_ID are not used by imagetrail.']);
  });
});

describe('docs/migrate-from-codefresh.md', () => {
  it('has a row for every variable of the mapping', async () => {
    const doc = await readFile(new URL('../../../docs/migrate-from-codefresh.md', import.meta.url), 'utf8');
    const missing = Object.keys(CF_VARIABLES).filter((n) => !doc.includes(`| \`${n}\``));
    expect(missing).toEqual([]);
  });
});
