import { describe, expect, it } from 'vitest';
import { addEcrKeyIntegration, api, cli } from '../helpers/imagetrail.js';
import { HOST } from '../helpers/ecr-seed.js';
import { startFaultProxy } from '../peers/fault-proxy.js';
import {
  endpoints,
  moto,
  registry,
  report,
  reportToken,
  s,
  seeded,
  server,
  useReportImageServer,
} from './report-image-fixture.js';

// Reports that fail say why and are recorded; throttling and 5xx answers are retried. Setup:
// report-image-fixture.ts.

useReportImageServer();

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
