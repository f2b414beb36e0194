import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await exec('git', args, {
    cwd,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'tester',
      GIT_AUTHOR_EMAIL: 'tester@localhost',
      GIT_COMMITTER_NAME: 'tester',
      GIT_COMMITTER_EMAIL: 'tester@localhost',
    },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** A bare repository in a temp dir, standing in for the shared configuration repository's remote. */
export async function bareRemote(): Promise<{ path: string; url: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'imagetrail-remote-'));
  const path = join(dir, 'isc.git');
  await exec('git', ['init', '--bare', '-b', 'main', path]);
  return { path, url: `file://${path}`, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A person's clone of the remote, for hand edits and for reading what imagetrail pushed. */
export async function personClone(remoteUrl: string): Promise<{
  dir: string;
  read(rel: string): Promise<string>;
  write(rel: string, text: string): Promise<void>;
  commitAndPush(message: string): Promise<void>;
  pull(): Promise<void>;
  cleanup(): Promise<void>;
}> {
  const base = await mkdtemp(join(tmpdir(), 'imagetrail-person-'));
  const dir = join(base, 'repo');
  await exec('git', ['clone', '-q', remoteUrl, dir]);
  return {
    dir,
    read: (rel) => readFile(join(dir, rel), 'utf8'),
    async write(rel, text) {
      await mkdir(dirname(join(dir, rel)), { recursive: true });
      await writeFile(join(dir, rel), text);
    },
    async commitAndPush(message) {
      await git(dir, 'add', '-A');
      await git(dir, 'commit', '-q', '-m', message);
      await git(dir, 'push', '-q', 'origin', 'HEAD:main');
    },
    async pull() {
      await git(dir, 'pull', '-q', '--rebase', 'origin', 'main');
    },
    cleanup: () => rm(base, { recursive: true, force: true }),
  };
}
