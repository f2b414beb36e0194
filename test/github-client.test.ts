import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationError, InputError, NotFoundError, UnreachableError } from '../src/domain/errors.js';
import { GitHubClient } from '../src/integrations/github/client.js';
import { PeerTimeoutError, RateLimitedError } from '../src/integrations/github/http.js';
import { Redactor } from '../src/logging/redactor.js';
import { startFakeGitHub, type FakeGitHub } from './peers/fake-github.js';
import { urlsOf } from './peer-urls.js';

const TOKEN = 'ghp_0123456789abcdefTOKENvalue';
const SHA = '6dcb09b5b57875f334f61aebed695e2e4193db5e';
const OTHER_SHA = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';

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
