import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { addEcrKeyIntegration, cli } from '../helpers/imagetrail.js';
import { git, personClone } from '../helpers/git.js';
import {
  endpoints,
  exec,
  REGION,
  remote,
  remoteFile,
  remoteHead,
  s,
  SECRET_MARK,
  server,
  useIntegrationsServer,
} from './integrations-fixture.js';
import { addCloudAndOldRuntimes } from './runtimes-seed.js';

// Edits, deletes and hand edits of integrations in Git. Setup: integrations-fixture.ts.

useIntegrationsServer();

// What integrations.test.ts leaves and these tests change: the `cloud` and `old` runtimes, `ro-ecr` (access
// key, all runtimes) and `role-ecr` (IAM role with an external ID, on local). The two adds it sees refused
// (a user without ECR rights; a wrong secret) are made here too, so the history sweep below covers their
// secrets as well.
beforeAll(async () => {
  await addCloudAndOldRuntimes(server);
  const ro = await addEcrKeyIntegration(server, 'ro-ecr', s.users.ro, endpoints());
  expect(ro.code, ro.stderr).toBe(0);
  const role = await cli(server, [
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
  ]);
  expect(role.code, role.stderr).toBe(0);
  const wrong = { accessKeyId: s.users.ro.accessKeyId, secretAccessKey: 'not-the-secret-' + SECRET_MARK };
  for (const [name, keys] of [
    ['no-ecr', s.users.noecr],
    ['wrong', wrong],
  ] as const) {
    const refused = await addEcrKeyIntegration(server, name, keys, endpoints());
    expect(refused.code, refused.stderr).toBe(1);
  }
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
