import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, cli } from '../helpers/imagetrail.js';
import { git } from '../helpers/git.js';
import { HOST } from '../helpers/ecr-seed.js';
import { startFakeGitHub, type FakeGitHub } from '../peers/fake-github.js';
import { startFakeJira, type FakeJira } from '../peers/fake-jira.js';
import {
  detailOf,
  OTHER_HOST,
  report,
  reportToken,
  seeded,
  server,
  useReportImageServer,
} from './report-image-fixture.js';

// What a report is joined with: the image's account from its host, pull requests (git.github), Jira issues
// (issue.jira), CI variables and the local checkout's Git facts. Setup: report-image-fixture.ts.

const COMMIT = 'c0ffee'.padEnd(40, '1');
const GH_TOKEN = 'ghp_reportImageTest0123456789';
const JIRA_TOKEN = 'jira-api-token-report-test';

let github: FakeGitHub;
let jira: FakeJira;

useReportImageServer();

beforeAll(async () => {
  github = await startFakeGitHub({
    token: GH_TOKEN,
    repos: {
      'acme/app': {
        commits: [
          {
            sha: COMMIT,
            message: 'PAY-7: speed up checkout',
            author: { name: 'Dev', email: 'dev@acme.test', date: '2026-11-20T10:00:00Z', login: 'dev' },
          },
        ],
        pulls: [
          {
            number: 12,
            title: 'Speed up checkout',
            state: 'closed',
            mergedAt: '2026-11-21T09:00:00Z',
            user: 'dev',
            head: 'feature/PAY-7',
            base: 'main',
            commits: [COMMIT],
          },
        ],
      },
    },
  });
  jira = await startFakeJira({
    flavor: 'cloud',
    email: 'bot@acme.test',
    apiToken: JIRA_TOKEN,
    issues: [
      { key: 'PAY-7', summary: 'Checkout is slow', status: 'Done', statusCategory: 'done', assignee: 'Dana' },
    ],
  });
});

afterAll(async () => {
  await Promise.all([github?.stop(), jira?.stop()]);
});

describe('joins', () => {
  it('an image in another account is looked up in that account (from the host, not the token)', async () => {
    const r = await report(`${OTHER_HOST}/shared/base:v1`);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const d = await detailOf(JSON.parse(r.stdout).result.imageId);
    expect(d).toMatchObject({ registry: OTHER_HOST, repository: 'shared/base', digest: seeded.oci!.digest });
  });

  it('pull requests from a git.github integration and Jira issues from an issue.jira integration', async () => {
    const gh = await cli(
      server,
      ['integration', 'add', 'github', 'gh', '--api-url', github.apiUrl, '--token-stdin', '--all-runtimes'],
      { stdin: GH_TOKEN },
    );
    expect(gh.code, gh.stderr).toBe(0);
    const jr = await cli(
      server,
      [
        'integration',
        'add',
        'jira',
        'jira',
        '--base-url',
        jira.baseUrl,
        '--email',
        'bot@acme.test',
        '--api-token-stdin',
        '--project-prefix',
        'PAY',
        '--all-runtimes',
      ],
      { stdin: JIRA_TOKEN },
    );
    expect(jr.code, jr.stderr).toBe(0);
    const r = await report(`${HOST}/team/app:docker`, [
      '--git-repo',
      'https://github.com/acme/app.git',
      '--git-branch',
      'feature/PAY-7',
      '--git-sha',
      COMMIT,
      '--git-integration',
      'gh',
      '--issue-tracking-integration',
      'jira',
      '--jira-message',
      'Deploys PAY-7',
    ]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const done = JSON.parse(r.stdout);
    expect(done.steps.map((x: { name: string }) => x.name)).toEqual(
      expect.arrayContaining(['pull-requests', 'issues']),
    );
    const d = await detailOf(done.result.imageId);
    const commit = d.commits.find((c: { sha?: string }) => c.sha === COMMIT);
    expect(commit.pullRequests).toEqual([
      expect.objectContaining({ number: 12, title: 'Speed up checkout', state: 'merged' }),
    ]);
    expect(d.issueDetails).toEqual([
      expect.objectContaining({ key: 'PAY-7', title: 'Checkout is slow', status: 'Done', assignee: 'Dana' }),
    ]);
    const byIssue = await api(server, 'GET', '/api/v1/images?issue=PAY-7');
    expect(byIssue.json.items.map((i: { id: string }) => i.id)).toContain(done.result.imageId);
    expect(JSON.stringify(d) + server.logs()).not.toContain(GH_TOKEN);
    expect(JSON.stringify(d) + server.logs()).not.toContain(JIRA_TOKEN);
  });

  it('fail-on-not-found fails the report naming the missing issue', async () => {
    const r = await report(`${HOST}/team/app:docker`, [
      '--issue-tracking-integration',
      'jira',
      '--jira-message',
      'Fixes PAY-404',
      '--jira-fail-on-not-found',
    ]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.message).toContain('PAY-404');
  });
});

describe('CI compatibility', () => {
  it('reads CF_* variables and CF_API_KEY, and Git facts from the local checkout without its credentials', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'checkout-'));
    try {
      await git(dir, 'init', '-q', '-b', 'feature/PAY-7');
      await writeFile(join(dir, 'README'), 'x');
      await git(dir, 'add', '.');
      await git(dir, 'commit', '-q', '-m', 'PAY-7: speed up checkout');
      await git(
        dir,
        'remote',
        'add',
        'origin',
        'https://x-access-token:ghs_secret123456@github.com/acme/app.git',
      );
      const sha = (await git(dir, 'rev-parse', 'HEAD')).trim();
      const r = await cli(undefined, ['report-image', '--git-dir', dir, '--wait', '--json'], {
        env: {
          IMAGETRAIL_SERVER: server.url,
          CF_API_KEY: reportToken,
          CF_IMAGE: `${HOST}/team/app:docker`,
          CF_CONTAINER_REGISTRY_INTEGRATION: 'ecr',
          CF_WORKFLOW_NAME: 'gha/123',
          CF_WORKFLOW_URL: 'https://github.com/acme/app/actions/runs/123',
          CF_LOGS_URL: 'https://github.com/acme/app/actions/runs/123/logs',
          CF_CI_TYPE: 'github-actions',
          CF_REGISTRY_PASSWORD: 'should-be-ignored',
        },
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('CF_REGISTRY_PASSWORD is ignored');
      const d = await detailOf(JSON.parse(r.stdout).result.imageId);
      const build = d.builds.find((b: { workflowName?: string }) => b.workflowName === 'gha/123');
      expect(build).toMatchObject({
        workflowUrl: 'https://github.com/acme/app/actions/runs/123',
        ciType: 'github-actions',
      });
      expect(build.git).toMatchObject({
        branch: 'feature/PAY-7',
        sha,
        repo: 'https://github.com/acme/app.git',
      });
      const commit = d.commits.find((c: { sha?: string }) => c.sha === sha);
      expect(commit).toMatchObject({
        message: 'PAY-7: speed up checkout',
        repo: 'https://github.com/acme/app.git',
        author: { name: 'tester' },
      });
      expect(commit.parents).toEqual([]);
      expect(JSON.stringify(d)).not.toContain('ghs_secret123456');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
