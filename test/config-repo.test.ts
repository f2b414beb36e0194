import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../src/domain/errors.js';
import { Git } from '../src/config-repo/git.js';
import { parseConfigRepoLocation } from '../src/config-repo/location.js';
import { generateIdentity, seal, unseal } from '../src/config-repo/sealing.js';
import { resolveIntegration } from '../src/config-repo/snapshot.js';
import { ConfigRepo } from '../src/config-repo/workspace.js';

const run = promisify(execFile);
const git = new Git({ timeoutMs: 30_000 });

let tmp = '';
const opened: ConfigRepo[] = [];
beforeEach(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'imagetrail-cfg-'));
});
afterEach(async () => {
  for (const r of opened.splice(0)) await r.stop();
  await rm(tmp, { recursive: true, force: true });
});

async function open(location: string, workDir: string, maxAttempts = 8): Promise<ConfigRepo> {
  const repo = await ConfigRepo.open({
    location: parseConfigRepoLocation(location),
    workDir,
    git,
    maxAttempts,
  });
  opened.push(repo);
  return repo;
}

/** A bare remote with one commit on `branch`, made from a scratch clone that tests also use to "edit by hand". */
async function bareRemote(branch = 'main'): Promise<{ bare: string; scratch: string }> {
  const bare = path.join(tmp, 'remote.git');
  const scratch = path.join(tmp, 'scratch');
  await git.run(['init', '--quiet', '--bare', '-b', branch, bare]);
  await git.run(['clone', '--quiet', bare, scratch]);
  await git.run(['checkout', '--quiet', '-b', branch], { cwd: scratch });
  await writeFile(path.join(scratch, 'OWNERS'), 'platform-team\n');
  await git.run(['add', '-A'], { cwd: scratch });
  await git.run(['commit', '--quiet', '-m', 'seed'], { cwd: scratch });
  await git.run(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`], { cwd: scratch });
  return { bare, scratch };
}

async function handEdit(scratch: string, branch: string, rel: string, text: string): Promise<void> {
  await git.run(['pull', '--quiet', '--rebase', 'origin', branch], { cwd: scratch });
  const abs = path.join(scratch, rel);
  await run('mkdir', ['-p', path.dirname(abs)]);
  await writeFile(abs, text);
  await git.run(['add', '-A'], { cwd: scratch });
  await git.run(['commit', '--quiet', '-m', `hand edit ${rel}`], { cwd: scratch });
  await git.run(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`], { cwd: scratch });
}

async function remoteFile(bare: string, branch: string, rel: string): Promise<string> {
  return (await git.run(['show', `${branch}:${rel}`], { cwd: bare })).stdout;
}

async function remoteLog(bare: string, branch: string): Promise<string[]> {
  return (await git.run(['log', '--format=%s', branch], { cwd: bare })).stdout.trim().split('\n');
}

const increment =
  (rel: string) =>
  async (tx: {
    read(r: string): Promise<string | undefined>;
    write(r: string, t: string): Promise<void>;
  }) => {
    const n = Number((await tx.read(rel)) ?? '0');
    // Yield so that concurrent writers really interleave.
    await new Promise((r) => setTimeout(r, 5));
    await tx.write(rel, `${n + 1}\n`);
    return n + 1;
  };

const integration = (name: string, region: string) =>
  stringify({
    apiVersion: 'imagetrail.dev/v1alpha1',
    kind: 'Integration',
    metadata: { name },
    spec: {
      type: 'registry.ecr',
      ecr: { region, auth: { mode: 'iamRole', roleArn: 'arn:aws:iam::123456789012:role/r' } },
    },
  });

describe('ConfigRepo, local working repository', () => {
  it('initialises a missing folder with git init -b main and a first commit, then commits in place', async () => {
    const dir = path.join(tmp, 'shared-config');
    const repo = await open(dir, path.join(tmp, 'work'));
    expect(existsSync(path.join(dir, '.git'))).toBe(true);
    expect(await git.currentBranch(dir)).toBe('main');
    expect(repo.snapshot().commit).toMatch(/^[0-9a-f]{40}$/);

    const { commit } = await repo.mutate('add ecr', async (tx) => {
      await tx.write('resources/all-runtimes-all-clusters/ecr.yaml', integration('ecr', 'eu-west-1'));
    });
    expect(commit).toBe(await git.revParse(dir, 'HEAD'));
    expect(repo.snapshot().integrations.map((e) => e.name)).toEqual(['ecr']);
    expect(await git.status(dir)).toEqual([]);

    // Nothing changed → no commit.
    const same = await repo.mutate('noop', async (tx) => {
      await tx.write('resources/all-runtimes-all-clusters/ecr.yaml', integration('ecr', 'eu-west-1'));
    });
    expect(same.commit).toBeNull();
  });

  it('refuses an invalid result and a dirty tree, leaving everything as it was', async () => {
    const dir = path.join(tmp, 'shared-config');
    const repo = await open(dir, path.join(tmp, 'work'));
    const head = await git.revParse(dir, 'HEAD');
    const err = await repo
      .mutate('bad', async (tx) => {
        await tx.write('resources/all-runtimes-all-clusters/ecr.yaml', integration('ecr', 'nowhere'));
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).details[0]).toMatchObject({ path: 'spec.ecr.region' });
    expect(await git.revParse(dir, 'HEAD')).toBe(head);
    expect(existsSync(path.join(dir, 'resources'))).toBe(false);

    await writeFile(path.join(dir, 'notes.txt'), 'mine');
    await expect(repo.mutate('x', async (tx) => tx.write('a.txt', 'a'))).rejects.toThrow(
      /uncommitted changes/,
    );
    expect(await readFile(path.join(dir, 'notes.txt'), 'utf8')).toBe('mine');
  });
});

describe('ConfigRepo, remote repository', () => {
  it('clones a bare remote with /sub/path?ref=branch and pushes each mutation as one commit', async () => {
    const { bare } = await bareRemote('cfg');
    const repo = await open(`${bare}/team/isc?ref=cfg`, path.join(tmp, 'work'));
    const { commit } = await repo.mutate('integration: add ecr', async (tx) => {
      await tx.write('resources/all-runtimes-all-clusters/ecr.yaml', integration('ecr', 'eu-west-1'));
    });
    expect(commit).toMatch(/^[0-9a-f]{40}$/);
    expect((await git.run(['rev-parse', 'cfg'], { cwd: bare })).stdout.trim()).toBe(commit);
    expect(await remoteFile(bare, 'cfg', 'team/isc/resources/all-runtimes-all-clusters/ecr.yaml')).toContain(
      'eu-west-1',
    );
    expect(await remoteLog(bare, 'cfg')).toEqual(['integration: add ecr', 'seed']);
    expect(repo.inClusterApplication('eu').spec.source).toMatchObject({
      repoURL: bare,
      targetRevision: 'cfg',
      path: 'team/isc/resources',
    });

    // Reopening reuses the clone.
    const again = await open(`${bare}/team/isc?ref=cfg`, path.join(tmp, 'work'));
    expect(again.snapshot().integrations).toHaveLength(1);
  });

  it('initialises an empty remote over file://', async () => {
    const bare = path.join(tmp, 'empty.git');
    await git.run(['init', '--quiet', '--bare', '-b', 'main', bare]);
    const repo = await open(`file://${bare}`, path.join(tmp, 'work'));
    expect(repo.snapshot().commit).toBe((await git.run(['rev-parse', 'main'], { cwd: bare })).stdout.trim());
  });

  it('serialises concurrent mutations of one ConfigRepo: no update is lost', async () => {
    const { bare } = await bareRemote();
    const repo = await open(bare, path.join(tmp, 'work'));
    const results = await Promise.all([1, 2, 3, 4].map(() => repo.mutate('count', increment('counter.txt'))));
    expect(results.map((r) => r.result).sort()).toEqual([1, 2, 3, 4]);
    expect(await remoteFile(bare, 'main', 'counter.txt')).toBe('4\n');
    expect((await remoteLog(bare, 'main')).filter((s) => s === 'count')).toHaveLength(4);
  });

  it('two clones racing on one remote both land (rebase, or re-apply on conflict), never force-pushing', async () => {
    const { bare } = await bareRemote();
    const a = await open(bare, path.join(tmp, 'work-a'));
    const b = await open(bare, path.join(tmp, 'work-b'));
    await Promise.all([
      ...[1, 2, 3].map(() => a.mutate('a counts', increment('counter.txt'))),
      ...[1, 2, 3].map(() => b.mutate('b counts', increment('counter.txt'))),
      a.mutate('a file', async (tx) => tx.write('a.txt', 'a')),
      b.mutate('b file', async (tx) => tx.write('b.txt', 'b')),
    ]);
    expect(await remoteFile(bare, 'main', 'counter.txt')).toBe('6\n');
    expect(await remoteFile(bare, 'main', 'a.txt')).toBe('a');
    expect(await remoteFile(bare, 'main', 'b.txt')).toBe('b');
    expect(await remoteLog(bare, 'main')).toHaveLength(1 + 8);
  });

  it('re-applies the mutation when someone else changed the same file in the meantime', async () => {
    const { bare, scratch } = await bareRemote();
    const repo = await open(bare, path.join(tmp, 'work'));
    await repo.mutate('start', async (tx) => tx.write('counter.txt', '10\n'));
    let calls = 0;
    const { result } = await repo.mutate('count', async (tx) => {
      calls++;
      const n = Number(await tx.read('counter.txt'));
      // Between our sync and our push, another clone changes the same line.
      if (calls === 1) await handEdit(scratch, 'main', 'counter.txt', `${n + 100}\n`);
      await tx.write('counter.txt', `${n + 1}\n`);
      return n + 1;
    });
    expect(calls).toBe(2);
    expect(result).toBe(111);
    expect(await remoteFile(bare, 'main', 'counter.txt')).toBe('111\n');
  });

  it('rolls back a failing mutation: nothing committed, nothing pushed, clone clean', async () => {
    const { bare } = await bareRemote();
    const repo = await open(bare, path.join(tmp, 'work'));
    const before = (await git.run(['rev-parse', 'main'], { cwd: bare })).stdout;
    await expect(
      repo.mutate('boom', async (tx) => {
        await tx.write('resources/all-runtimes-all-clusters/ecr.yaml', integration('ecr', 'eu-west-1'));
        await tx.remove('OWNERS');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await git.run(['rev-parse', 'main'], { cwd: bare })).stdout).toBe(before);
    expect(await git.status(repo.repoDir)).toEqual([]);
    expect(existsSync(path.join(repo.root, 'OWNERS'))).toBe(true);
    expect(existsSync(path.join(repo.root, 'resources'))).toBe(false);
  });

  it('reports a hand-edited invalid file with file and dot path, and keeps serving the last valid version', async () => {
    const { bare, scratch } = await bareRemote();
    const repo = await open(bare, path.join(tmp, 'work'));
    const file = 'resources/all-runtimes-all-clusters/ecr.yaml';
    await repo.mutate('add', async (tx) => tx.write(file, integration('ecr', 'eu-west-1')));
    await handEdit(scratch, 'main', file, integration('ecr', 'EU WEST'));
    const snap = await repo.sync();
    expect(snap.problems).toContainEqual(
      expect.objectContaining({ file, path: 'spec.ecr.region', severity: 'error' }),
    );
    expect(snap.problems).toContainEqual(
      expect.objectContaining({
        file,
        message: expect.stringMatching(/invalid since commit [0-9a-f]{12}.*still in use/) as string,
      }),
    );
    expect(resolveIntegration(snap, 'any', 'ecr')?.resource.spec).toMatchObject({
      ecr: { region: 'eu-west-1' },
    });
  });

  it('applies the precedence rule on what it loaded', async () => {
    const { bare } = await bareRemote();
    const repo = await open(bare, path.join(tmp, 'work'));
    await repo.mutate('two', async (tx) => {
      await tx.write('resources/all-runtimes-all-clusters/ecr.yaml', integration('ecr', 'us-east-1'));
      await tx.write('resources/runtimes/eu/ecr.yaml', integration('ecr', 'eu-west-1'));
    });
    const snap = repo.snapshot();
    expect(resolveIntegration(snap, 'eu', 'ecr')?.resource.spec).toMatchObject({
      ecr: { region: 'eu-west-1' },
    });
    expect(resolveIntegration(snap, 'us', 'ecr')?.resource.spec).toMatchObject({
      ecr: { region: 'us-east-1' },
    });
    expect(await repo.lastCommit(['resources/runtimes/eu/ecr.yaml'])).toMatchObject({ subject: 'two' });
  });
});

describe('sealing interop with the age CLI', () => {
  it('age -d -i decrypts what seal() made, and unseal() decrypts what age -r -a made', async () => {
    const keyFile = path.join(tmp, 'key.txt');
    await run('age-keygen', ['-o', keyFile]);
    await chmod(keyFile, 0o600);
    const recipient = (await run('age-keygen', ['-y', keyFile])).stdout.trim();
    const other = await generateIdentity();

    const sealed = await seal('AKIA-secret/with+chars', [recipient, other.recipient]);
    const sealedFile = path.join(tmp, 'sealed.age');
    await writeFile(sealedFile, sealed.sealed);
    expect((await run('age', ['-d', '-i', keyFile, sealedFile])).stdout).toBe('AKIA-secret/with+chars');

    const plainFile = path.join(tmp, 'plain.txt');
    await writeFile(plainFile, 'from the cli');
    const armored = (await run('age', ['-r', other.recipient, '-a', plainFile])).stdout;
    expect(await unseal({ sealed: armored, recipients: [other.recipient] }, other.identity)).toBe(
      'from the cli',
    );
  });
});
