import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SealedValue } from '../src/config-repo/kinds/common.js';
import { IntegrationV1alpha1 } from '../src/config-repo/kinds/integration-v1alpha1.js';
import { GitHubSpec } from '../src/integrations/types/git-github/kind.js';
import { JiraSpec } from '../src/integrations/types/issue-jira/kind.js';
import { AuthenticationError, InputError, NotFoundError, UnreachableError } from '../src/domain/errors.js';
import { GitHubClient } from '../src/integrations/github/client.js';
import { PeerTimeoutError, RateLimitedError } from '../src/integrations/github/http.js';
import { JiraClient } from '../src/integrations/jira/client.js';
import { findIssueKeys, parseKeyMatcher } from '../src/domain/issue-keys.js';
import { Redactor } from '../src/logging/redactor.js';
import { startFakeGitHub, type FakeGitHub } from './peers/fake-github.js';
import { startFakeJira, type FakeJira } from './peers/fake-jira.js';

const TOKEN = 'ghp_0123456789abcdefTOKENvalue';
const SHA = '6dcb09b5b57875f334f61aebed695e2e4193db5e';
const OTHER_SHA = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';

/** Every header and URL a fake received, flattened, to look for leaked secrets. */
function urlsOf(peer: { requests: { url: string }[] }): string {
  return peer.requests.map((r) => r.url).join('\n');
}

describe('GitHubClient against a fake GitHub', () => {
  let gh: FakeGitHub;
  let ghe: FakeGitHub;
  const repos = {
    'octo-org/api': {
      commits: [
        {
          sha: SHA,
          message: 'PROJ-1: fix login (#42)\n\nAlso OPS-7',
          author: {
            name: 'Mona Lisa',
            email: 'mona@example.com',
            date: '2024-05-01T10:00:00Z',
            login: 'mona',
          },
          committer: { name: 'GitHub', email: 'noreply@github.com', date: '2024-05-01T10:05:00Z' },
        },
        {
          sha: OTHER_SHA,
          message: 'chore',
          author: { name: 'A', email: 'a@example.com', date: '2024-05-02T00:00:00Z' },
        },
      ],
      pulls: [
        {
          number: 42,
          title: 'Fix login',
          state: 'closed' as const,
          mergedAt: '2024-05-01T10:05:00Z',
          user: 'mona',
          head: 'feature/PROJ-1',
          base: 'main',
          commits: [SHA],
        },
        {
          number: 43,
          title: 'Backport',
          state: 'open' as const,
          user: 'hubot',
          head: 'backport/PROJ-1',
          base: 'release-1',
          commits: [SHA],
        },
        {
          number: 44,
          title: 'Unrelated',
          state: 'closed' as const,
          head: 'x',
          base: 'main',
          commits: [OTHER_SHA],
        },
      ],
    },
  };

  beforeAll(async () => {
    gh = await startFakeGitHub({ token: TOKEN, repos });
    ghe = await startFakeGitHub({ token: TOKEN, repos, pathPrefix: '/api/v3' });
  });
  afterAll(async () => {
    await gh.stop();
    await ghe.stop();
  });
  afterEach(() => {
    gh.throttle(0);
    gh.delay(0);
  });

  const client = (over: Partial<ConstructorParameters<typeof GitHubClient>[0]> = {}): GitHubClient =>
    new GitHubClient({ apiUrl: gh.apiUrl, token: TOKEN, redactor: new Redactor(), timeoutMs: 2000, ...over });

  it('lists the pull requests of a commit, merged and open, from any form of the repo', async () => {
    const prs = await client().pullRequestsForCommit('git@github.com:octo-org/api.git', SHA);
    expect(prs).toEqual([
      expect.objectContaining({
        number: 42,
        state: 'merged',
        author: 'mona',
        headRef: 'feature/PROJ-1',
        baseRef: 'main',
      }),
      expect.objectContaining({
        number: 43,
        state: 'open',
        author: 'hubot',
        mergedAt: null,
        baseRef: 'release-1',
      }),
    ]);
    expect(prs[0]?.url).toMatch(/\/octo-org\/api\/pull\/42$/);
  });

  it('reads the facts of a commit, through a GitHub Enterprise /api/v3 URL too', async () => {
    for (const apiUrl of [gh.apiUrl, `${ghe.apiUrl}/`]) {
      const c = await client({ apiUrl }).getCommit('https://github.com/octo-org/api', SHA);
      expect(c).toEqual({
        sha: SHA,
        message: 'PROJ-1: fix login (#42)\n\nAlso OPS-7',
        url: expect.stringMatching(new RegExp(`/commit/${SHA}$`)) as unknown,
        author: { name: 'Mona Lisa', email: 'mona@example.com', date: '2024-05-01T10:00:00Z', login: 'mona' },
        committer: { name: 'GitHub', email: 'noreply@github.com', date: '2024-05-01T10:05:00Z', login: null },
      });
    }
    expect(ghe.requests.at(-1)?.url).toBe(`/api/v3/repos/octo-org/api/commits/${SHA}`);
  });

  it('sends the token as a Bearer header and never in a URL', async () => {
    const before = gh.requests.length;
    await client().getCommit('octo-org/api', SHA);
    const req = gh.requests[before];
    expect(req?.headers['authorization']).toBe(`Bearer ${TOKEN}`);
    expect(req?.headers['accept']).toBe('application/vnd.github+json');
    expect(req?.headers['user-agent']).toBeTruthy();
    expect(urlsOf(gh)).not.toContain(TOKEN);
  });

  it('says the token is invalid on 401, without printing it', async () => {
    const bad = 'ghp_wrongwrongwrongwrong';
    const err = await client({ token: bad })
      .getCommit('octo-org/api', SHA)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as Error).message).toMatch(/rejected the token.*invalid.*401.*Bad credentials/);
    expect((err as Error).message).not.toContain(bad);
  });

  it('names the repository on 404, and says a private repository without access looks the same', async () => {
    const err = await client()
      .pullRequestsForCommit('octo-org/secret', SHA)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toMatch(/no repository octo-org\/secret.*private repository/);
  });

  it('names the commit when the repository does not have it (GitHub: 422)', async () => {
    const err = await client()
      .getCommit('octo-org/api', 'bbbbbbbbbbbb')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toMatch(/no commit bbbbbbbbbbbb in octo-org\/api/);
  });

  it('refuses a bad SHA or repo before calling', async () => {
    const before = gh.requests.length;
    await expect(client().getCommit('octo-org/api', 'main; rm')).rejects.toThrow(InputError);
    await expect(client().getCommit('not a repo', SHA)).rejects.toThrow(InputError);
    expect(gh.requests.length).toBe(before);
  });

  it('waits out a secondary rate limit (429 + Retry-After) and then succeeds', async () => {
    gh.throttle(1, { kind: 'secondary', retryAfterSeconds: 1 });
    const before = gh.requests.length;
    const started = Date.now();
    const c = await client().getCommit('octo-org/api', SHA);
    expect(c.sha).toBe(SHA);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(gh.requests.length - before).toBe(2);
  });

  it('waits for x-ratelimit-reset on an exhausted primary limit (403), within the cap', async () => {
    gh.throttle(1, { kind: 'primary', resetInSeconds: 1 });
    const waits: number[] = [];
    const sleep = (ms: number): Promise<void> => {
      waits.push(ms);
      return Promise.resolve();
    };
    expect((await client({ sleep }).getCommit('octo-org/api', SHA)).sha).toBe(SHA);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(0);
    expect(waits[0]).toBeLessThanOrEqual(3000);
  });

  it('fails at once with the reset time when the limit resets beyond the cap', async () => {
    gh.throttle(5, { kind: 'primary', resetInSeconds: 3600 });
    const err = await client({ retry: { maxWaitMs: 5000 } })
      .getCommit('octo-org/api', SHA)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as Error).message).toMatch(/rate-limiting requests until \d{4}-/);
    expect(gh.requests.filter((r) => r.url.includes(SHA)).length).toBeGreaterThan(0);
  });

  it('treats a bare 403 secondary-limit answer as throttling, not as a permission problem', async () => {
    gh.throttle(1, { kind: 'secondary', status: 403 });
    const waits: number[] = [];
    const sleep = (ms: number): Promise<void> => {
      waits.push(ms);
      return Promise.resolve();
    };
    expect((await client({ sleep }).getCommit('octo-org/api', SHA)).sha).toBe(SHA);
    expect(waits).toEqual([500]);
  });

  it('gives up after the allowed attempts when throttling persists', async () => {
    gh.throttle(10, { kind: 'secondary', retryAfterSeconds: 1 });
    const sleep = (): Promise<void> => Promise.resolve();
    const before = gh.requests.length;
    const err = await client({ sleep, retry: { maxAttempts: 3 } })
      .getCommit('octo-org/api', SHA)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(gh.requests.length - before).toBe(3);
  });

  it('times out on a peer that does not answer', async () => {
    gh.delay(5000);
    const started = Date.now();
    const err = await client({ timeoutMs: 200 })
      .getCommit('octo-org/api', SHA)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PeerTimeoutError);
    expect((err as Error).message).toMatch(/did not answer within 200 ms/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('reports an unreachable API URL as unreachable', async () => {
    const err = await client({ apiUrl: 'http://127.0.0.1:1' })
      .getCommit('octo-org/api', SHA)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreachableError);
  });
});

describe('JiraClient against a fake Jira', () => {
  const EMAIL = 'ci@example.com';
  const API_TOKEN = 'ATATT3xFfGF0cloudTOKEN';
  const PAT = 'NjQ2MTk0serverPATvalue';
  const issues = [
    {
      key: 'PROJ-1',
      summary: 'Login fails',
      status: 'In Review',
      statusCategory: 'indeterminate' as const,
      assignee: 'Mona Lisa',
    },
    { key: 'OPS-7', summary: 'Rotate keys', status: 'Done', statusCategory: 'done' as const, assignee: null },
    {
      key: 'NEW-5',
      summary: 'Moved issue',
      status: 'To Do',
      statusCategory: 'new' as const,
      formerKeys: ['OLD-3'],
    },
  ];
  let cloud: FakeJira;
  let server: FakeJira;

  beforeAll(async () => {
    cloud = await startFakeJira({ flavor: 'cloud', email: EMAIL, apiToken: API_TOKEN, issues });
    server = await startFakeJira({ flavor: 'server', pat: PAT, issues, contextPath: '/jira' });
  });
  afterAll(async () => {
    await cloud.stop();
    await server.stop();
  });
  afterEach(() => {
    cloud.throttle(0);
    cloud.delay(0);
  });

  const cloudClient = (over: Partial<ConstructorParameters<typeof JiraClient>[0]> = {}): JiraClient =>
    new JiraClient({
      baseUrl: cloud.baseUrl,
      auth: { kind: 'cloud', email: EMAIL, apiToken: API_TOKEN },
      redactor: new Redactor(),
      timeoutMs: 2000,
      ...over,
    });
  const serverClient = (): JiraClient =>
    new JiraClient({
      baseUrl: `${server.baseUrl}/`,
      auth: { kind: 'server', pat: PAT },
      redactor: new Redactor(),
      timeoutMs: 2000,
    });

  it('reads an issue from Jira Cloud over REST v3 with Basic email:token', async () => {
    const before = cloud.requests.length;
    expect(await cloudClient().getIssue('proj-1')).toEqual({
      key: 'PROJ-1',
      title: 'Login fails',
      status: { name: 'In Review', category: { key: 'indeterminate', name: 'In Progress' } },
      assignee: 'Mona Lisa',
      url: `${cloud.baseUrl}/browse/PROJ-1`,
    });
    const req = cloud.requests[before];
    expect(req?.url).toBe('/rest/api/3/issue/PROJ-1?fields=summary%2Cstatus%2Cassignee');
    expect(req?.headers['authorization']).toBe(
      `Basic ${Buffer.from(`${EMAIL}:${API_TOKEN}`).toString('base64')}`,
    );
    expect(urlsOf(cloud)).not.toContain(API_TOKEN);
    expect(urlsOf(cloud)).not.toContain(EMAIL);
  });

  it('reads an issue from Jira Server/DC over REST v2 with a Bearer PAT, under a context path', async () => {
    const before = server.requests.length;
    const issue = await serverClient().getIssue('OPS-7');
    expect(issue).toEqual({
      key: 'OPS-7',
      title: 'Rotate keys',
      status: { name: 'Done', category: { key: 'done', name: 'Done' } },
      assignee: null,
      url: `${server.baseUrl}/browse/OPS-7`,
    });
    const req = server.requests[before];
    expect(req?.url).toMatch(/^\/jira\/rest\/api\/2\/issue\/OPS-7\?/);
    expect(req?.headers['authorization']).toBe(`Bearer ${PAT}`);
    expect(urlsOf(server)).not.toContain(PAT);
  });

  it('links a moved issue under the key Jira answers with', async () => {
    expect((await cloudClient().getIssue('OLD-3')).url).toBe(`${cloud.baseUrl}/browse/NEW-5`);
    const both = await cloudClient().getIssues(['OLD-3', 'NEW-5']);
    expect(both.issues.map((i) => i.key)).toEqual(['NEW-5']);
  });

  it('from commit text to issues: keys found, unknown ones listed when fail-on-not-found is off', async () => {
    const keys = findIssueKeys(
      ['PROJ-1: fix login (#42)\n\nAlso OPS-7 and PROJ-999, again PROJ-1'],
      parseKeyMatcher('PROJ,OPS'),
    );
    expect(keys).toEqual(['PROJ-1', 'OPS-7', 'PROJ-999']);
    const got = await cloudClient().getIssues(keys, { failOnNotFound: false });
    expect(got.issues.map((i) => i.key)).toEqual(['PROJ-1', 'OPS-7']);
    expect(got.notFound).toEqual(['PROJ-999']);
  });

  it('with fail-on-not-found, a missing key fails the call naming it', async () => {
    const err = await serverClient()
      .getIssues(['PROJ-1', 'PROJ-999', 'OPS-404'], { failOnNotFound: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toMatch(/no issue PROJ-999, OPS-404/);
    await expect(serverClient().getIssue('PROJ-999')).rejects.toThrow(/no issue PROJ-999/);
  });

  it('says the credentials are invalid on 401 for both auth styles, without printing them', async () => {
    const wrongToken = 'ATATT3xFfGF0WRONGtoken';
    const err = await cloudClient({ auth: { kind: 'cloud', email: EMAIL, apiToken: wrongToken } })
      .getIssues(['PROJ-1'])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as Error).message).toMatch(/rejected the email and API token.*401/);
    expect((err as Error).message).not.toContain(wrongToken);

    // A Cloud token presented as a Server PAT (the wrong auth kind) is refused the same way.
    const wrongKind = new JiraClient({
      baseUrl: cloud.baseUrl,
      auth: { kind: 'server', pat: API_TOKEN },
      redactor: new Redactor(),
    });
    await expect(wrongKind.getIssue('PROJ-1')).rejects.toThrow(AuthenticationError);
  });

  it('waits out a 429 with Retry-After and then succeeds', async () => {
    cloud.throttle(2, 1);
    const waits: number[] = [];
    const sleep = (ms: number): Promise<void> => {
      waits.push(ms);
      return Promise.resolve();
    };
    const issue = await cloudClient({ sleep }).getIssue('PROJ-1');
    expect(issue.key).toBe('PROJ-1');
    expect(waits).toEqual([1000, 1000]);
  });

  it('really sleeps for Retry-After when no sleep is injected', async () => {
    cloud.throttle(1, 1);
    const started = Date.now();
    await cloudClient().getIssue('PROJ-1');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('times out on a Jira that does not answer', async () => {
    cloud.delay(5000);
    const err = await cloudClient({ timeoutMs: 200 })
      .getIssue('PROJ-1')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PeerTimeoutError);
    expect((err as Error).message).toMatch(/Jira did not answer within 200 ms while reading issue PROJ-1/);
  });
});

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
