import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AttachRolePolicyCommand, CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  createEcrIamScenario,
  READ_ONLY_POLICY_ARN,
  startMoto,
  type EcrIamScenario,
  type MotoPeer,
} from '../peers/moto.js';
import { startRegistry, type RegistryPeer } from '../peers/registry.js';
import { addEcrKeyIntegration, api, cli, startImagetrail, type ServerHandle } from '../helpers/imagetrail.js';
import { bareRemote, git, personClone } from '../helpers/git.js';

// Issue 2 end to end: the real CLI against a real server, moto enforcing IAM, the distribution registry as
// the ECR data plane, and a bare Git remote as the shared configuration repository.
// Where moto differs from AWS (see test-peers.md): ECR denials are XML 403 here and JSON 400 on AWS (the
// probe classifies both); moto's AssumeRole also needs the caller's identity policy (the scenario grants
// it); moto's ECR token names the real AWS host, hence --registry-endpoint.

const exec = promisify(execFile);
const REGION = 'us-east-1';
const SECRET_MARK = 'it-e2e-distinctive';

let moto: MotoPeer;
let registry: RegistryPeer;
let s: EcrIamScenario;
let remote: Awaited<ReturnType<typeof bareRemote>>;
let server: ServerHandle;
let untrustingRole: string;

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

async function remoteHead(): Promise<string> {
  return (await git(remote.path, 'rev-parse', 'main')).trim();
}

async function remoteFiles(): Promise<string[]> {
  return (await git(remote.path, 'ls-tree', '-r', '--name-only', 'main')).trim().split('\n');
}

async function remoteFile(path: string): Promise<string> {
  return git(remote.path, 'show', `main:${path}`);
}

beforeAll(async () => {
  [moto, registry, remote] = await Promise.all([startMoto(), startRegistry(), bareRemote()]);
  s = await createEcrIamScenario(moto);
  // A role whose trust policy names someone other than the server's own identity (`chain`).
  const iam = new IAMClient({
    region: REGION,
    endpoint: moto.endpoint,
    credentials: { accessKeyId: 'AKIAADMIN0000000000', secretAccessKey: 'x' },
  });
  const role = await iam.send(
    new CreateRoleCommand({
      RoleName: 'untrusting',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS: s.users.ro.arn }, Action: 'sts:AssumeRole' }],
      }),
    }),
  );
  untrustingRole = role.Role!.Arn!;
  await iam.send(new AttachRolePolicyCommand({ RoleName: 'untrusting', PolicyArn: READ_ONLY_POLICY_ARN }));
  await moto.enableIamAuth();
  // The server runs as user `chain`: its ambient identity for IAM-role mode.
  server = await startImagetrail({
    configRepo: remote.url,
    env: {
      AWS_ACCESS_KEY_ID: s.users.chain.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s.users.chain.secretAccessKey,
      AWS_REGION: REGION,
    },
  });
});

afterAll(async () => {
  await server?.stop();
  await Promise.all([moto?.stop(), registry?.stop(), remote?.cleanup()]);
});

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

describe('edits, deletes and hand edits', () => {
  it('re-seals all-runtimes secrets for a runtime that joins', async () => {
    const r = await cli(server, [
      'runtime',
      'add',
      'late',
      '--type',
      'hybrid',
      '--version',
      '0.3.0',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const late = parse(await remoteFile('runtimes/late/runtime.yaml')).spec.recipient;
    const doc = parse(await remoteFile('resources/all-runtimes-all-clusters/ro-ecr.yaml'));
    expect(doc.spec.ecr.auth.secretAccessKey.recipients).toContain(late);
    const dir = await mkdtemp(join(tmpdir(), 'age-'));
    try {
      await writeFile(join(dir, 'sealed.age'), doc.spec.ecr.auth.secretAccessKey.sealed);
      const { stdout } = await exec('age', [
        '-d',
        '-i',
        JSON.parse(r.stdout).keyFile,
        join(dir, 'sealed.age'),
      ]);
      // The plaintext is the value with its binding (integration, field, destinations).
      expect(JSON.parse(stdout).value).toBe(s.users.ro.secretAccessKey);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('two concurrent edits of different fields both land', async () => {
    const [a, b] = await Promise.all([
      cli(server, ['integration', 'edit', 'role-ecr', '--description', 'edited by A', '--skip-test']),
      cli(server, ['integration', 'edit', 'role-ecr', '--session-name', 'edited-by-b', '--skip-test']),
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const doc = parse(await remoteFile('resources/runtimes/local/role-ecr.yaml'));
    expect(doc.spec.description).toBe('edited by A');
    expect(doc.spec.ecr.auth.sessionName).toBe('edited-by-b');
    expect(doc.spec.ecr.auth.externalId).toBe(s.roles.enrich.externalId);
  });

  it('an edit that breaks the connection is refused and nothing changes', async () => {
    const before = await remoteHead();
    const r = await cli(server, ['integration', 'edit', 'role-ecr', '--external-id', 'wrong-again']);
    expect(r.code).toBe(1);
    expect(await remoteHead()).toBe(before);
  });

  it('an invalid hand edit in Git is reported with file and field path; the last valid state keeps serving', async () => {
    const person = await personClone(remote.url);
    try {
      const file = 'resources/runtimes/local/role-ecr.yaml';
      const doc = parse(await person.read(file));
      doc.spec.ecr.auth.roleArn = 'arn:aws:iam::nope';
      await person.write(file, JSON.stringify(doc));
      await person.commitAndPush('hand edit: break the role ARN');
      const sync = await cli(server, ['config', 'sync', '--json']);
      expect(sync.code, sync.stderr).toBe(0);
      const status = await cli(server, ['config', 'status', '--json']);
      expect(status.code).toBe(1);
      const problems = JSON.parse(status.stdout).problems;
      expect(problems).toEqual(
        expect.arrayContaining([expect.objectContaining({ file, path: 'spec.ecr.auth.roleArn' })]),
      );
      const show = JSON.parse((await cli(server, ['integration', 'show', 'role-ecr', '--json'])).stdout);
      expect(show.ecr.roleArn).toBe(s.roles.enrich.arn);
      // Repair it by hand; the problem goes away.
      await person.pull();
      await person.write(
        file,
        JSON.stringify({
          ...doc,
          spec: {
            ...doc.spec,
            ecr: { ...doc.spec.ecr, auth: { ...doc.spec.ecr.auth, roleArn: s.roles.enrich.arn } },
          },
        }),
      );
      await person.commitAndPush('hand edit: repair');
      await cli(server, ['config', 'sync']);
      const after = await cli(server, ['config', 'status', '--json']);
      expect(after.code, after.stdout).toBe(0);
    } finally {
      await person.cleanup();
    }
  });

  it('a runtime-specific resource wins over the all-runtimes one of the same name', async () => {
    const person = await personClone(remote.url);
    try {
      const all = parse(await person.read('resources/all-runtimes-all-clusters/ro-ecr.yaml'));
      const override = structuredClone(all);
      override.spec.ecr.region = 'eu-west-1';
      override.spec.ecr.auth = { mode: 'iamRole', roleArn: s.roles.enrichOpen.arn };
      await person.write('resources/runtimes/cloud/ro-ecr.yaml', JSON.stringify(override));
      await person.commitAndPush('override ro-ecr on cloud');
      await cli(server, ['config', 'sync']);
      const cloud = JSON.parse((await cli(server, ['runtime', 'show', 'cloud', '--json'])).stdout);
      const entry = cloud.integrations.find((i: { name: string }) => i.name === 'ro-ecr');
      expect(entry.source).toBe('runtime');
      expect(entry.mode).toBe('iamRole');
      expect(entry.available).toBe(false); // the override is an IAM role on a hosted runtime
      const local = JSON.parse((await cli(server, ['runtime', 'show', 'local', '--json'])).stdout);
      expect(local.integrations.find((i: { name: string }) => i.name === 'ro-ecr')).toMatchObject({
        source: 'all-runtimes',
        available: true,
      });
    } finally {
      await person.cleanup();
    }
  });

  it('delete needs DELETE and removes every file of the integration in one commit', async () => {
    const refused = await cli(server, ['integration', 'delete', 'ro-ecr']);
    expect(refused.code).toBe(2);
    const before = await remoteHead();
    const r = await cli(server, ['integration', 'delete', 'ro-ecr', '--confirm', 'DELETE', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const after = await remoteHead();
    expect((await git(remote.path, 'rev-list', '--count', `${before}..${after}`)).trim()).toBe('1');
    const changed = (await git(remote.path, 'diff', '--name-status', before, after))
      .trim()
      .split('\n')
      .sort();
    expect(changed).toEqual([
      'D\tresources/all-runtimes-all-clusters/ro-ecr.yaml',
      'D\tresources/runtimes/cloud/ro-ecr.yaml',
    ]);
    const gone = await cli(server, ['integration', 'show', 'ro-ecr']);
    expect(gone.code).toBe(1);
  });

  it('no secret appears in clear anywhere in the repository history', async () => {
    const history = await git(remote.path, 'log', '-p', '--all');
    expect(history.length).toBeGreaterThan(1000);
    for (const secret of [s.users.ro.secretAccessKey, s.users.noecr.secretAccessKey, SECRET_MARK]) {
      expect(history).not.toContain(secret);
    }
    expect(server.logs()).not.toContain(s.users.ro.secretAccessKey);
  });
});

describe('CLI usage', () => {
  it('unknown commands, missing options and secrets in argv are usage errors (exit 2)', async () => {
    expect((await cli(server, ['integration', 'frobnicate'])).code).toBe(2);
    const noMode = await cli(server, [
      'integration',
      'add',
      'ecr',
      'x',
      '--region',
      REGION,
      '--all-runtimes',
    ]);
    expect(noMode.code).toBe(2);
    expect(noMode.stderr).toContain('--role-arn');
    const noSharing = await cli(server, [
      'integration',
      'add',
      'ecr',
      'x',
      '--region',
      REGION,
      '--role-arn',
      s.roles.enrich.arn,
    ]);
    expect(noSharing.code).toBe(2);
    expect(noSharing.stderr).toContain('--all-runtimes');
    const secretArg = await cli(server, [
      'integration',
      'add',
      'ecr',
      'x',
      '--region',
      REGION,
      '--access-key-id',
      'AKIAABCDEFGHIJKLMNOP',
      '--secret-access-key',
      'abc',
      '--all-runtimes',
    ]);
    expect(secretArg.code).toBe(2);
  });
});

describe('API access', () => {
  it('no token → 401; a report-scoped token cannot manage integrations → 403; admin can', async () => {
    const none = await api(server, 'GET', '/api/v1/integrations', undefined, null);
    expect(none.status).toBe(401);
    expect(none.json.error.message).toMatch(/token/i);
    const created = await cli(server, ['token', 'create', 'ci', '--scope', 'report', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const reportToken = JSON.parse(created.stdout).token as string;
    const post = await api(server, 'POST', '/api/v1/integrations', { name: 'x' }, reportToken);
    expect(post.status).toBe(403);
    expect(post.json.error.message).toContain('admin');
    const list = await api(server, 'GET', '/api/v1/integrations', undefined, reportToken);
    expect(list.status).toBe(403);
    const cliDenied = await cli(server, ['integration', 'list'], { token: reportToken });
    expect(cliDenied.code).toBe(3);
    const ok = await api(server, 'GET', '/api/v1/integrations');
    expect(ok.status).toBe(200);
  });

  it('bad bodies get a 4xx with the fields to fix, never a 500', async () => {
    const cases: Array<[unknown, number]> = [
      ['{not json', 400],
      [{}, 400],
      [
        {
          name: '../etc',
          type: 'registry.ecr',
          sharing: { allRuntimes: true },
          ecr: { region: REGION, auth: { mode: 'iamRole', roleArn: s.roles.enrich.arn } },
        },
        400,
      ],
      [
        {
          name: 'ok',
          type: 'registry.ecr',
          sharing: { runtimes: ['nope'] },
          ecr: { region: REGION, auth: { mode: 'iamRole', roleArn: s.roles.enrich.arn } },
        },
        400,
      ],
      [
        {
          name: 'ok',
          type: 'registry.ecr',
          sharing: { allRuntimes: true },
          ecr: { region: 'mars-1', auth: { mode: 'magic' } },
        },
        400,
      ],
      ['x'.repeat(300_000), 413],
    ];
    for (const [body, status] of cases) {
      const r = await api(server, 'POST', '/api/v1/integrations', body);
      expect(r.status, r.text).toBe(status);
      expect(r.json.error.message).toEqual(expect.any(String));
    }
    const bad = await api(server, 'POST', '/api/v1/integrations', {
      name: 'ok',
      type: 'registry.ecr',
      sharing: { allRuntimes: true },
      ecr: { region: 'mars-1', auth: { mode: 'iamRole', roleArn: 'nope' } },
    });
    expect(bad.json.error.details.map((d: { path: string }) => d.path)).toEqual(
      expect.arrayContaining(['ecr.region', 'ecr.auth.roleArn']),
    );
  });
});
