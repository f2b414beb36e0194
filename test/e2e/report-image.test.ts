import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEcrIamScenario, startMoto, type EcrIamScenario, type MotoPeer } from '../peers/moto.js';
import { startRegistry, type RegistryPeer } from '../peers/registry.js';
import type { PushedImage, PushedIndex, PushedManifest } from '../peers/images.js';
import { startFaultProxy } from '../peers/fault-proxy.js';
import {
  addEcrKeyIntegration,
  api,
  cli,
  startImagetrail,
  type ServerHandle,
  reportImageArgs,
} from '../helpers/imagetrail.js';
import { bareRemote, git } from '../helpers/git.js';
import { EcrSeeder, HOST, REGION } from '../helpers/ecr-seed.js';
import { startFakeGitHub, type FakeGitHub } from '../peers/fake-github.js';
import { startFakeJira, type FakeJira } from '../peers/fake-jira.js';

const OTHER_ACCOUNT = '210987654321';
const OTHER_HOST = `${OTHER_ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
const COMMIT = 'c0ffee'.padEnd(40, '1');
const GH_TOKEN = 'ghp_reportImageTest0123456789';
const JIRA_TOKEN = 'jira-api-token-report-test';

// Issue 3 end to end: CI reports (the real CLI) → the server persists a job → the runner enriches it from
// moto (ECR API, IAM enforced) and distribution (registry data plane, ECR-style Basic auth) → the API serves
// the record. moto differences (test-peers.md): moto invents digests unless PutImage is given one (the
// seeder passes the registry's), its token expiresAt is in 2015, and its proxyEndpoint names the real AWS
// host, hence the registry endpoint override.

let moto: MotoPeer;
let registry: RegistryPeer;
let s: EcrIamScenario;
let remote: Awaited<ReturnType<typeof bareRemote>>;
let server: ServerHandle;
let reportToken: string;
let github: FakeGitHub;
let jira: FakeJira;
const seeded: {
  oci?: PushedImage;
  docker?: PushedImage;
  index?: PushedIndex;
  list?: PushedIndex;
  sig?: PushedManifest;
  sbom?: PushedManifest;
} = {};

function endpoints(): string[] {
  return [
    '--api-endpoint',
    moto.endpoint,
    '--sts-endpoint',
    moto.endpoint,
    '--registry-endpoint',
    registry.url,
  ];
}

async function report(image: string, extra: string[] = [], env: Record<string, string> = {}) {
  return cli(server, [...reportImageArgs(image), ...extra], {
    token: reportToken,
    env,
  });
}

async function detailOf(id: string) {
  const r = await api(server, 'GET', `/api/v1/images/${id}`);
  expect(r.status, r.text).toBe(200);
  return r.json;
}

beforeAll(async () => {
  [moto, registry, remote] = await Promise.all([startMoto(), startRegistry(), bareRemote()]);
  s = await createEcrIamScenario(moto);
  const seed = new EcrSeeder(moto, registry);
  seeded.oci = await seed.image('team/app', 'oci', {
    format: 'oci',
    labels: { 'org.opencontainers.image.source': 'https://github.com/acme/app', team: 'payments' },
  });
  seeded.docker = await seed.image('team/app', 'docker', { format: 'docker' });
  seeded.index = await seed.index('team/multi', 'oci-index', { format: 'oci' });
  seeded.list = await seed.index('team/multi', 'docker-list', { format: 'docker' });
  seeded.sig = await seed.signature('team/app', seeded.docker);
  seeded.sbom = await seed.sbom('team/app', seeded.oci);
  // The same manifest bytes in another account's registry: the account comes from the image host.
  await seed.mirror('team/app', 'shared/base', seeded.oci, 'v1', OTHER_ACCOUNT);
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
  await moto.enableIamAuth();
  server = await startImagetrail({
    configRepo: remote.url,
    env: { IMAGETRAIL_REPORT_RETRY_BASE_MS: '100', IMAGETRAIL_REPORT_POLL_MS: '200' },
  });
  const add = await addEcrKeyIntegration(server, 'ecr', s.users.ro, endpoints());
  expect(add.code, add.stderr).toBe(0);
  const noecr = await addEcrKeyIntegration(server, 'no-rights', s.users.noecr, [
    '--skip-test',
    ...endpoints(),
  ]);
  expect(noecr.code, noecr.stderr).toBe(0);
  const tok = await cli(server, ['token', 'create', 'ci', '--scope', 'report', '--json']);
  reportToken = JSON.parse(tok.stdout).token;
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await Promise.all([moto?.stop(), registry?.stop(), remote?.cleanup(), github?.stop(), jira?.stop()]);
});

describe('seeded images, reported with --wait', () => {
  it('an OCI image manifest: digest, platform, config facts, layers, referrers', async () => {
    const r = await report(`${HOST}/team/app:oci`);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const done = JSON.parse(r.stdout);
    expect(done.status).toBe('succeeded');
    expect(done.result.digest).toBe(seeded.oci!.digest);
    const d = await detailOf(done.result.imageId);
    expect(d).toMatchObject({
      registry: HOST,
      repository: 'team/app',
      digest: seeded.oci!.digest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
    });
    expect(d.tags).toContain('oci');
    expect(d.platformsDetail).toEqual([
      expect.objectContaining({ os: 'linux', architecture: 'amd64', digest: seeded.oci!.digest }),
    ]);
    expect(d.createdAt).toBe(seeded.oci!.created);
    expect(d.labels).toMatchObject({ team: 'payments' });
    expect(d.layers.map((l: { digest: string }) => l.digest)).toEqual(
      seeded.oci!.layers.map((l) => l.digest),
    );
    expect(d.config.historyCount).toBe(seeded.oci!.historyCount);
    const expectedSize =
      seeded.oci!.size + seeded.oci!.config.size + seeded.oci!.layers.reduce((n, l) => n + l.size, 0);
    expect(d.size).toBe(expectedSize);
    expect(d.referrers).toEqual(
      expect.arrayContaining([expect.objectContaining({ digest: seeded.sbom!.digest, kind: 'sbom' })]),
    );
    // The CLI showed the steps on stderr as they happened (progress), and JSON alone on stdout.
    expect(() => JSON.parse(r.stdout)).not.toThrow();
  });

  it('a Docker v2 schema 2 manifest with a cosign signature recorded as its artifact', async () => {
    const r = await report(`${HOST}/team/app:docker`);
    expect(r.code, r.stderr).toBe(0);
    const done = JSON.parse(r.stdout);
    expect(done.result.digest).toBe(seeded.docker!.digest);
    const d = await detailOf(done.result.imageId);
    expect(d.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(d.referrers).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'signature', digest: seeded.sig!.digest })]),
    );
    expect(d.tags).not.toEqual(expect.arrayContaining([expect.stringMatching(/\.sig$/)]));
  });

  it('an OCI index: two platforms with their own digests', async () => {
    const r = await report(`${HOST}/team/multi:oci-index`);
    expect(r.code, r.stderr).toBe(0);
    const done = JSON.parse(r.stdout);
    expect(done.result.digest).toBe(seeded.index!.digest);
    const d = await detailOf(done.result.imageId);
    expect(d.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    const platforms = d.platformsDetail.map(
      (p: { os: string; architecture: string; variant?: string; digest: string }) => [
        p.os,
        p.architecture,
        p.variant ?? '',
        p.digest,
      ],
    );
    expect(platforms).toEqual(
      seeded.index!.children.map((c) => [
        c.platform.os,
        c.platform.architecture,
        c.platform.variant ?? '',
        c.digest,
      ]),
    );
  });

  it('a Docker manifest list: two platforms', async () => {
    const r = await report(`${HOST}/team/multi:docker-list`);
    expect(r.code, r.stderr).toBe(0);
    const d = await detailOf(JSON.parse(r.stdout).result.imageId);
    expect(d.digest).toBe(seeded.list!.digest);
    expect(d.platformsDetail).toHaveLength(2);
    expect(d.platformsDetail.map((p: { digest: string }) => p.digest).sort()).toEqual(
      seeded.list!.children.map((c) => c.digest).sort(),
    );
  });

  it('a digest reference', async () => {
    const r = await report(`${HOST}/team/app@${seeded.oci!.digest}`);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).result.digest).toBe(seeded.oci!.digest);
  });

  it('a signature tag is refused as an image, with the reason', async () => {
    const tag = seeded.docker!.digest.replace(':', '-') + '.sig';
    const r = await report(`${HOST}/team/app:${tag}`);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.message).toContain('artifact of its subject');
  });
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

describe('idempotency and the image list', () => {
  it('the same report twice gives one image and one build; a new tag on the same digest adds the tag', async () => {
    const args = [
      '--workflow-name',
      'build-42',
      '--workflow-url',
      'https://ci.example/runs/42',
      '--git-repo',
      'acme/app',
      '--git-branch',
      'main',
      '--git-sha',
      'a'.repeat(40),
    ];
    const a = JSON.parse((await report(`${HOST}/team/app:oci`, args)).stdout);
    const b = JSON.parse((await report(`${HOST}/team/app:oci`, args)).stdout);
    expect(a.result.imageId).toBe(b.result.imageId);
    const d = await detailOf(a.result.imageId);
    expect(
      d.builds.filter((x: { workflowUrl?: string }) => x.workflowUrl === 'https://ci.example/runs/42'),
    ).toHaveLength(1);
  });

  it('lists with filters and pages', async () => {
    const all = await api(server, 'GET', '/api/v1/images?limit=2', undefined, reportToken);
    expect(all.status).toBe(200);
    expect(all.json.items).toHaveLength(2);
    expect(all.json.nextCursor).toEqual(expect.any(String));
    const next = await api(
      server,
      'GET',
      `/api/v1/images?limit=2&cursor=${encodeURIComponent(all.json.nextCursor)}`,
      undefined,
      reportToken,
    );
    const ids = [...all.json.items, ...next.json.items].map((i: { id: string }) => i.id);
    expect(new Set(ids).size).toBe(ids.length);
    const byRepo = await api(server, 'GET', '/api/v1/images?repository=team/multi');
    expect(byRepo.json.items.map((i: { digest: string }) => i.digest).sort()).toEqual(
      [seeded.index!.digest, seeded.list!.digest].sort(),
    );
    const byBranch = await api(server, 'GET', '/api/v1/images?branch=main');
    expect(byBranch.json.items.map((i: { digest: string }) => i.digest)).toEqual([seeded.oci!.digest]);
    const byCommit = await api(server, 'GET', `/api/v1/images?commit=${'a'.repeat(12)}`);
    expect(byCommit.json.items).toHaveLength(1);
    const badCursor = await api(server, 'GET', '/api/v1/images?cursor=%%%');
    expect(badCursor.status).toBe(400);
    const cliList = await cli(server, ['images', 'list', '--repository', 'team/multi']);
    expect(cliList.code, cliList.stderr).toBe(0);
    expect(cliList.stdout).toContain('linux/arm64/v8');
    const show = await cli(server, ['images', 'show', `${HOST}/team/multi:oci-index`, '--json']);
    expect(show.code, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout).digest).toBe(seeded.index!.digest);
  });
});

describe('failures are clear and recorded', () => {
  it('an unknown tag fails naming the image', async () => {
    const r = await report(`${HOST}/team/app:nope`);
    expect(r.code).toBe(1);
    const done = JSON.parse(r.stdout);
    expect(done.status).toBe('failed');
    expect(done.error.message).toContain('team/app:nope');
  });

  it('a missing repository fails naming it', async () => {
    const r = await report(`${HOST}/team/ghost:1`);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.message).toMatch(/ghost/);
  });

  it('a missing permission fails naming the action and the managed policy', async () => {
    const r = await cli(
      server,
      [
        'report-image',
        '--image',
        `${HOST}/team/app:oci`,
        '--registry-integration',
        'no-rights',
        '--no-local-git',
        '--wait',
        '--json',
      ],
      { token: reportToken },
    );
    expect(r.code).toBe(1);
    const done = JSON.parse(r.stdout);
    expect(done.error.message).toMatch(/ecr:(DescribeImages|BatchGetImage)/);
    expect(done.error.message).toContain('AmazonEC2ContainerRegistryReadOnly');
    expect(done.attempts).toBe(1); // permission errors are not retried
  });

  it('an edited secret takes effect on the next report (the opened secret is cached per stored value)', async () => {
    const edit = (secret: string, ...flags: string[]) =>
      cli(server, ['integration', 'edit', 'rotating', '--secret-access-key-stdin', ...flags, '--json'], {
        stdin: secret,
      });
    const add = await addEcrKeyIntegration(server, 'rotating', s.users.ro, endpoints());
    expect(add.code, add.stderr).toBe(0);
    const via = ['--registry-integration', 'rotating'];
    expect((await report(`${HOST}/team/app:oci`, via)).code).toBe(0);
    // The same key ID with a wrong secret: only the sealed value changes.
    const wrong = await edit(`${s.users.ro.secretAccessKey}x`, '--skip-test');
    expect(wrong.code, wrong.stderr).toBe(0);
    const refused = await report(`${HOST}/team/app:oci`, via);
    expect(refused.code).toBe(1);
    // AWS answers a bad signature on ECR with InvalidSignatureException (→ wrong-secret); moto answers
    // every ECR refusal, bad signatures included, with the same XML 403, which reads as a denial.
    expect(['wrong-secret', 'permission-missing']).toContain(JSON.parse(refused.stdout).error.errorClass);
    const right = await edit(s.users.ro.secretAccessKey);
    expect(right.code, right.stderr).toBe(0);
    expect((await report(`${HOST}/team/app:oci`, via)).code).toBe(0);
  });

  it('bad input is a 400 before anything is queued', async () => {
    const bad = await api(server, 'POST', '/api/v1/image-reports', { image: 'UPPER/Case:tag' }, reportToken);
    expect(bad.status).toBe(400);
    const noRuntime = await api(
      server,
      'POST',
      '/api/v1/image-reports',
      { image: `${HOST}/team/app:oci`, runtime: 'nowhere' },
      reportToken,
    );
    expect(noRuntime.status).toBe(400);
    const noImage = await cli(server, ['report-image', '--no-local-git'], { token: reportToken });
    expect(noImage.code).toBe(2);
    expect(noImage.stderr).toContain('CF_IMAGE');
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

describe('faults', () => {
  it('throttling and 5xx from the ECR API are retried until the report is enriched', async () => {
    const proxy = await startFaultProxy(moto.endpoint);
    try {
      const add = await addEcrKeyIntegration(server, 'flaky', s.users.ro, [
        '--skip-test',
        '--api-endpoint',
        proxy.url,
        '--sts-endpoint',
        moto.endpoint,
        '--registry-endpoint',
        registry.url,
      ]);
      expect(add.code, add.stderr).toBe(0);
      const throttle = {
        kind: 'status' as const,
        status: 400,
        body: '{"__type":"ThrottlingException","message":"Rate exceeded"}',
        contentType: 'application/x-amz-json-1.1',
      };
      proxy.inject([
        throttle,
        throttle,
        throttle,
        { kind: 'status', status: 503 },
        { kind: 'status', status: 503 },
      ]);
      const r = await cli(
        server,
        [
          'report-image',
          '--image',
          `${HOST}/team/multi:docker-list`,
          '--registry-integration',
          'flaky',
          '--no-local-git',
          '--wait',
          '--json',
        ],
        { token: reportToken },
      );
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).result.digest).toBe(seeded.list!.digest);
      expect(proxy.requests.filter((x) => x.fault).length).toBe(5);
    } finally {
      await proxy.stop();
    }
  });

  it('429 and 5xx from the registry are retried too', async () => {
    const proxy = await startFaultProxy(registry.url);
    try {
      const add = await addEcrKeyIntegration(server, 'flaky-registry', s.users.ro, [
        '--skip-test',
        '--api-endpoint',
        moto.endpoint,
        '--sts-endpoint',
        moto.endpoint,
        '--registry-endpoint',
        proxy.url,
      ]);
      expect(add.code, add.stderr).toBe(0);
      proxy.inject([
        { kind: 'status', status: 429, retryAfter: '0' },
        { kind: 'status', status: 503 },
        { kind: 'status', status: 502 },
      ]);
      const r = await cli(
        server,
        [
          'report-image',
          '--image',
          `${HOST}/team/app:oci`,
          '--registry-integration',
          'flaky-registry',
          '--no-local-git',
          '--wait',
          '--json',
        ],
        { token: reportToken },
      );
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(proxy.requests.filter((x) => x.fault).length).toBe(3);
    } finally {
      await proxy.stop();
    }
  });
});
