import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { addEcrKeyIntegration, api, cli } from '../helpers/imagetrail.js';
import { git } from '../helpers/git.js';
import {
  endpoints,
  exec,
  REGION,
  remote,
  remoteFile,
  remoteFiles,
  remoteHead,
  s,
  SECRET_MARK,
  server,
  untrustingRole,
  useIntegrationsServer,
} from './integrations-fixture.js';

// Bootstrap, runtimes, and adding ECR integrations (access key, IAM role) through the CLI; each test builds
// on the ones before it. Setup: integrations-fixture.ts. Edits and deletes: integrations-edits.test.ts; CLI
// usage errors and API access: integrations-api.test.ts.

useIntegrationsServer();

describe('serve', () => {
  it('answers /healthz and bootstraps the repository with the control plane and the local runtime', async () => {
    const h = await api(server, 'GET', '/healthz', undefined, null);
    expect(h.status).toBe(200);
    expect(h.json.status).toBe('ok');
    const files = await remoteFiles();
    expect(files).toEqual(
      expect.arrayContaining([
        'resources/control-planes/control-plane.yaml',
        'runtimes/local/runtime.yaml',
        'runtimes/local/in-cluster.yaml',
      ]),
    );
    const app = parse(await remoteFile('runtimes/local/in-cluster.yaml'));
    expect(app.kind).toBe('Application');
    expect(app.spec.source.directory.include).toContain('all-runtimes-all-clusters/*.yaml');
    expect(app.spec.source.directory.include).toContain('runtimes/local/*.yaml');
    expect(app.spec.source.directory.include).toContain('control-planes/*.yaml');
    // The private identity stays in the data directory, 0600, never in Git.
    const key = await readFile(join(server.dataDir, 'keys', 'runtimes', 'local.agekey'), 'utf8');
    const identity = key.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-'))!;
    const history = await git(remote.path, 'log', '-p', '--all');
    expect(history).not.toContain(identity);
    const tokenMode = (await exec('stat', ['-c', '%a', join(server.dataDir, 'admin-token')])).stdout.trim();
    expect(tokenMode).toBe('600');
  });
});

describe('runtimes', () => {
  it('adds hosted and old hybrid runtimes, each with an Argo CD application, and lists them', async () => {
    const a = await cli(server, [
      'runtime',
      'add',
      'cloud',
      '--type',
      'hosted',
      '--version',
      '0.2.0',
      '--json',
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(JSON.parse(a.stdout).runtime).toMatchObject({ name: 'cloud', type: 'hosted', version: '0.2.0' });
    const b = await cli(server, ['runtime', 'add', 'old', '--type', 'hybrid', '--version', '0.1.26']);
    expect(b.code, b.stderr).toBe(0);
    const files = await remoteFiles();
    expect(files).toEqual(
      expect.arrayContaining([
        'runtimes/cloud/runtime.yaml',
        'runtimes/cloud/in-cluster.yaml',
        'runtimes/old/runtime.yaml',
      ]),
    );
    const list = await cli(server, ['runtime', 'list', '--json']);
    expect(JSON.parse(list.stdout).map((r: { name: string }) => r.name)).toEqual(['cloud', 'local', 'old']);
    const bad = await cli(server, ['runtime', 'add', 'x', '--type', 'hybrid', '--version', 'one']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('version');
  });
});

describe('access key integrations', () => {
  it('a read-only user tests ok and lands in all-runtimes-all-clusters, pushed, secret sealed', async () => {
    const before = await remoteHead();
    // The secret arrives on stdin with the newline a shell adds; it is trimmed.
    const r = await addEcrKeyIntegration(
      server,
      'ro-ecr',
      { accessKeyId: s.users.ro.accessKeyId, secretAccessKey: s.users.ro.secretAccessKey + '\n' },
      [...endpoints(), '--json'],
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.test.ok).toBe(true);
    expect(out.test.identity.arn).toBe(s.users.ro.arn);
    expect(out.integration.ecr.secretAccessKey).toEqual({ set: true });
    expect(JSON.stringify(out)).not.toContain(s.users.ro.secretAccessKey);
    expect(await remoteHead()).not.toBe(before);
    const doc = parse(await remoteFile('resources/all-runtimes-all-clusters/ro-ecr.yaml'));
    expect(doc).toMatchObject({
      apiVersion: 'imagetrail.dev/v1alpha1',
      kind: 'Integration',
      metadata: { name: 'ro-ecr' },
    });
    expect(doc.spec.ecr.auth.mode).toBe('accessKey');
    expect(doc.spec.ecr.auth.secretAccessKey.sealed).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----/);
    // Sealed for the control plane and every runtime that can use it: local and cloud, not old (0.1.26).
    const runtimes = await Promise.all(
      ['local', 'cloud', 'old'].map(
        async (n) => parse(await remoteFile(`runtimes/${n}/runtime.yaml`)).spec.recipient as string,
      ),
    );
    expect(doc.spec.ecr.auth.secretAccessKey.recipients).toEqual(
      expect.arrayContaining([runtimes[0], runtimes[1]]),
    );
    expect(doc.spec.ecr.auth.secretAccessKey.recipients).not.toContain(runtimes[2]);
    // The stock age CLI recovers it with the runtime's identity.
    const dir = await mkdtemp(join(tmpdir(), 'age-'));
    try {
      await writeFile(join(dir, 'sealed.age'), doc.spec.ecr.auth.secretAccessKey.sealed);
      const { stdout } = await exec('age', [
        '-d',
        '-i',
        join(server.dataDir, 'keys', 'runtimes', 'local.agekey'),
        join(dir, 'sealed.age'),
      ]);
      // The plaintext is the value with its binding (integration, field, destinations).
      expect(JSON.parse(stdout).value).toBe(s.users.ro.secretAccessKey);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // Available on local and cloud (hosted, access key is fine), not on old (< 0.1.27).
    const show = JSON.parse((await cli(server, ['integration', 'show', 'ro-ecr', '--json'])).stdout);
    const avail = Object.fromEntries(
      show.availability.map((a: { runtime: string; available: boolean }) => [a.runtime, a.available]),
    );
    expect(avail).toEqual({ cloud: true, local: true, old: false });
    expect(show.availability.find((a: { runtime: string }) => a.runtime === 'old').reason).toContain(
      '0.1.27',
    );
  });

  it('with --runtime lands in resources/runtimes/<runtime>/', async () => {
    const r = await cli(
      server,
      [
        'integration',
        'add',
        'ecr',
        'ro-local',
        '--region',
        REGION,
        '--access-key-id',
        s.users.ro.accessKeyId,
        '--runtime',
        'local',
        ...endpoints(),
      ],
      { env: { AWS_SECRET_ACCESS_KEY: s.users.ro.secretAccessKey } },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(await remoteFiles()).toContain('resources/runtimes/local/ro-local.yaml');
  });

  it('a user without ECR rights fails naming the missing action and the managed policy; nothing committed', async () => {
    const before = await remoteHead();
    const r = await addEcrKeyIntegration(server, 'no-ecr', s.users.noecr, endpoints());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ecr:GetAuthorizationToken');
    expect(r.stderr).toContain('AmazonEC2ContainerRegistryReadOnly');
    expect(r.stderr).toContain('Nothing was committed');
    expect(r.stderr).not.toContain(s.users.noecr.secretAccessKey);
    expect(await remoteHead()).toBe(before);
  });

  it('a wrong secret fails with its own message and --json gives the checks', async () => {
    const before = await remoteHead();
    const r = await addEcrKeyIntegration(
      server,
      'wrong',
      { accessKeyId: s.users.ro.accessKeyId, secretAccessKey: 'not-the-secret-' + SECRET_MARK },
      [...endpoints(), '--json'],
    );
    expect(r.code).toBe(1);
    const result = JSON.parse(r.stdout);
    expect(result.ok).toBe(false);
    const failed = result.checks.find((c: { ok: boolean; skipped?: boolean }) => !c.ok && !c.skipped);
    expect(failed.errorClass).toBe('wrong-secret');
    expect(r.stderr).toMatch(/secret access key does not match/);
    expect(r.stdout + r.stderr).not.toContain(SECRET_MARK);
    expect(await remoteHead()).toBe(before);
  });

  it('is refused for a 0.1.26 runtime: exit 2, nothing committed', async () => {
    const before = await remoteHead();
    const r = await cli(
      server,
      [
        'integration',
        'add',
        'ecr',
        'old-ak',
        '--region',
        REGION,
        '--access-key-id',
        s.users.ro.accessKeyId,
        '--secret-access-key-stdin',
        '--runtime',
        'old',
        ...endpoints(),
      ],
      { stdin: s.users.ro.secretAccessKey },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('0.1.27');
    expect(await remoteHead()).toBe(before);
  });
});

describe('IAM role integrations', () => {
  it('a trusted role with the right external ID passes, chained from the runtime identity', async () => {
    const r = await cli(server, [
      'integration',
      'add',
      'ecr',
      'role-ecr',
      '--region',
      REGION,
      '--role-arn',
      s.roles.enrich.arn,
      '--external-id',
      s.roles.enrich.externalId,
      '--runtime',
      'local',
      ...endpoints(),
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.test.ok).toBe(true);
    expect(out.test.identity.arn).toContain(':assumed-role/enrich/');
    const doc = parse(await remoteFile('resources/runtimes/local/role-ecr.yaml'));
    expect(doc.spec.ecr.auth).toMatchObject({
      mode: 'iamRole',
      roleArn: s.roles.enrich.arn,
      externalId: s.roles.enrich.externalId,
    });
  });

  it('an untrusted role fails with the trust statement to add, naming the caller', async () => {
    const before = await remoteHead();
    const r = await cli(server, [
      'integration',
      'add',
      'ecr',
      'untrusted',
      '--region',
      REGION,
      '--role-arn',
      untrustingRole,
      '--runtime',
      'local',
      ...endpoints(),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('sts:AssumeRole');
    expect(r.stderr).toContain(s.users.chain.arn);
    expect(r.stderr).toMatch(/"Principal"/);
    expect(await remoteHead()).toBe(before);
  });

  it('a wrong external ID fails clearly', async () => {
    const w = await cli(server, [
      'integration',
      'add',
      'ecr',
      'wrong-ext',
      '--region',
      REGION,
      '--role-arn',
      s.roles.enrich.arn,
      '--external-id',
      'not-the-right-one',
      '--runtime',
      'local',
      ...endpoints(),
      '--json',
    ]);
    expect(w.code).toBe(1);
    const result = JSON.parse(w.stdout);
    const failed = result.checks.find((c: { ok: boolean; skipped?: boolean }) => !c.ok && !c.skipped);
    expect(failed.errorClass).toBe('external-id');
    expect(failed.message).toContain('external ID');
  });

  it('is refused for a hosted runtime: exit 2, nothing committed; shared with all it is unavailable there', async () => {
    const before = await remoteHead();
    const r = await cli(server, [
      'integration',
      'add',
      'ecr',
      'hosted-role',
      '--region',
      REGION,
      '--role-arn',
      s.roles.enrich.arn,
      '--runtime',
      'cloud',
      ...endpoints(),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('hosted');
    expect(await remoteHead()).toBe(before);

    const all = await cli(server, [
      'integration',
      'add',
      'ecr',
      'role-all',
      '--region',
      REGION,
      '--role-arn',
      s.roles.enrichOpen.arn,
      '--all-runtimes',
      ...endpoints(),
      '--json',
    ]);
    expect(all.code, all.stderr).toBe(0);
    const cloud = JSON.parse((await cli(server, ['runtime', 'show', 'cloud', '--json'])).stdout);
    const entry = cloud.integrations.find((i: { name: string }) => i.name === 'role-all');
    expect(entry.available).toBe(false);
    expect(entry.reason).toContain('hosted');
  });

  it('integration test --json reports ok, checks and identity', async () => {
    const r = await cli(server, ['integration', 'test', 'role-ecr', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.ok).toBe(true);
    expect(result.checks.map((c: { name: string }) => c.name)).toEqual(
      expect.arrayContaining([
        'ambient-identity',
        'assume-role',
        'identity',
        'ecr:GetAuthorizationToken',
        'ecr:DescribeImages',
        'ecr:BatchGetImage',
        'registry',
      ]),
    );
    for (const c of result.checks)
      expect(c).toMatchObject({ name: expect.any(String), ok: true, message: expect.any(String) });
    expect(result.identity.arn).toContain('assumed-role/enrich');
  });
});
