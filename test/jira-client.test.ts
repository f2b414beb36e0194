import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationError, NotFoundError } from '../src/domain/errors.js';
import { PeerTimeoutError } from '../src/integrations/github/http.js';
import { JiraClient } from '../src/integrations/jira/client.js';
import { findIssueKeys, parseKeyMatcher } from '../src/domain/issue-keys.js';
import { Redactor } from '../src/logging/redactor.js';
import { startFakeJira, type FakeJira } from './peers/fake-jira.js';
import { urlsOf } from './peer-urls.js';

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
