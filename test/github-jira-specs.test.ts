import { describe, expect, it } from 'vitest';
import type { SealedValue } from '../src/config-repo/kinds/common.js';
import { IntegrationV1alpha1 } from '../src/config-repo/kinds/integration-v1alpha1.js';
import { GitHubSpec } from '../src/integrations/types/git-github/kind.js';
import { JiraSpec } from '../src/integrations/types/issue-jira/kind.js';

describe('integration specs stored in Git', () => {
  const sealed: SealedValue = {
    sealed: '-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n',
    recipients: ['age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'],
  };

  it('github: token sealed, API URL optional', () => {
    expect(GitHubSpec.parse({ token: sealed })).toEqual({ token: sealed });
    expect(GitHubSpec.safeParse({ apiUrl: 'https://ghe.example.com/api/v3', token: sealed }).success).toBe(
      true,
    );
    expect(GitHubSpec.safeParse({ token: 'ghp_plain' }).success).toBe(false);
    expect(GitHubSpec.safeParse({ token: sealed, apiUrl: 'https://u:p@ghe.example.com' }).success).toBe(
      false,
    );
    expect(GitHubSpec.safeParse({ token: sealed, tokn: 1 }).success).toBe(false);
  });

  it('jira: cloud or server auth with sealed secrets, prefixes checked by the key parser', () => {
    const cloudSpec = {
      baseUrl: 'https://example.atlassian.net',
      auth: { kind: 'cloud', email: 'ci@example.com', apiToken: sealed },
      projectPrefixes: 'PROJ,OPS',
      failOnNotFound: true,
    };
    expect(JiraSpec.parse(cloudSpec)).toEqual(cloudSpec);
    expect(
      JiraSpec.safeParse({
        baseUrl: 'https://jira.example.com/jira',
        auth: { kind: 'server', pat: sealed },
        projectPrefixes: '/PROJ-\\d+/g',
      }).success,
    ).toBe(true);
    expect(
      JiraSpec.safeParse({
        ...cloudSpec,
        auth: { kind: 'cloud', email: 'ci@example.com', apiToken: 'plain' },
      }).success,
    ).toBe(false);
    expect(JiraSpec.safeParse({ ...cloudSpec, auth: { kind: 'server', apiToken: sealed } }).success).toBe(
      false,
    );
    // The key parser (RE2) checks stored files through the Integration kind, outside the browser-safe spec.
    const badPrefix = IntegrationV1alpha1.safeParse({
      apiVersion: 'imagetrail.dev/v1alpha1',
      kind: 'Integration',
      metadata: { name: 'jira' },
      spec: { type: 'issue.jira', jira: { ...cloudSpec, projectPrefixes: '/[/g' } },
    });
    expect(badPrefix.success).toBe(false);
    expect(badPrefix.error?.issues[0]?.path).toEqual(['spec', 'jira', 'projectPrefixes']);
  });
});
