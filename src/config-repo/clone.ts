import { mkdir, readdir, realpath, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError, UnavailableError } from '../domain/errors.js';
import { GitCommandError, isPushRejected, type Git } from './git.js';
import { exists } from './transaction.js';

// Opening the configuration repository: a local folder (initialised when empty) or a clone of a remote.

const INITIAL_MESSAGE = 'imagetrail: initialise shared configuration repository';
const README = `# imagetrail shared configuration

Managed by imagetrail; changes made here by hand are picked up and validated.

    resources/all-runtimes-all-clusters/<integration>.yaml   shared with every runtime
    resources/runtimes/<runtime>/<integration>.yaml          shared with that runtime only (wins over the above)
    resources/control-planes/control-plane.yaml              the control plane's age recipient
    runtimes/<runtime>/runtime.yaml                          kind Runtime
    runtimes/<runtime>/in-cluster.yaml                       Argo CD Application syncing the runtime's folders
    resources/crds/<kind>.imagetrail.dev.yaml                CRDs for these kinds (generated; Argo CD applies them first)

Secret fields are sealed with age; decrypt one with \`age -d -i KEYFILE\`.
`;

async function isEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
}

async function initialCommit(git: Git, repoDir: string, subPath: string): Promise<void> {
  const root = subPath ? path.join(repoDir, subPath) : repoDir;
  await mkdir(root, { recursive: true });
  const readme = path.join(root, 'README.md');
  if (!(await exists(readme))) await writeFile(readme, README, 'utf8');
  await git.run(['add', '-A', '--', subPath || '.'], { cwd: repoDir });
  await git.run(['commit', '--quiet', '--no-verify', '--allow-empty', '-m', INITIAL_MESSAGE], {
    cwd: repoDir,
  });
}

/** Opens (or creates) a local working repository; returns its checked-out branch. */
export async function openLocal(git: Git, dir: string): Promise<string> {
  if (await isEmptyDir(dir)) {
    await mkdir(dir, { recursive: true });
    await git.run(['init', '--quiet', '-b', 'main', dir]);
    await initialCommit(git, dir, '');
  } else {
    const top = await git.tryRun(['rev-parse', '--show-toplevel'], { cwd: dir });
    const isTop = top.exitCode === 0 && (await realpath(top.stdout.trim())) === (await realpath(dir));
    if (!isTop) {
      throw new InputError(
        `--config-repo ${dir} is neither an empty folder nor the top of a git repository`,
        {
          hints: [
            'Point --config-repo at an empty or missing folder (imagetrail initialises it) or at a git repository.',
          ],
        },
      );
    }
    if (!(await git.revParse(dir, 'HEAD'))) await initialCommit(git, dir, '');
  }
  const branch = await git.currentBranch(dir);
  if (!branch) {
    throw new InputError(`the configuration repository ${dir} is not on a branch (detached HEAD)`, {
      hints: ['git checkout main'],
    });
  }
  return branch;
}

/** Clones (or reuses the clone of) a remote into `dir`; returns the branch it tracks. */
export async function openRemote(
  git: Git,
  dir: string,
  url: string,
  ref: string | undefined,
  subPath: string,
): Promise<string> {
  if (await exists(path.join(dir, '.git'))) {
    const origin = await git.tryRun(['config', '--get', 'remote.origin.url'], { cwd: dir });
    const branch = await git.currentBranch(dir);
    if (origin.stdout.trim() === url && branch && (!ref || ref === branch)) return branch;
    // A clone of another repository or branch: --config-repo changed. It holds nothing unpushed.
    await rm(dir, { recursive: true, force: true });
  } else if (!(await isEmptyDir(dir))) {
    throw new InputError(
      `${dir} exists and is not a clone made by imagetrail; move it away or choose another data dir`,
    );
  }

  await mkdir(dir, { recursive: true });
  try {
    await git.run(['init', '--quiet', '-b', ref ?? 'main', dir]);
    await git.run(['remote', 'add', 'origin', url], { cwd: dir });
    const heads = await git.run(['ls-remote', '--symref', 'origin', 'HEAD', 'refs/heads/*'], { cwd: dir });
    const lines = heads.stdout.split('\n').filter((l) => l !== '');
    const branches = lines
      .map((l) => /\trefs\/heads\/(.+)$/.exec(l)?.[1])
      .filter((b): b is string => b !== undefined);
    const remoteDefault = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(heads.stdout)?.[1];
    const branch = ref ?? remoteDefault ?? branches[0] ?? 'main';

    if (branches.includes(branch)) {
      await git.run(['fetch', '--quiet', 'origin', `+refs/heads/${branch}:refs/remotes/origin/${branch}`], {
        cwd: dir,
      });
      await git.run(['checkout', '--quiet', '-f', '-B', branch, `origin/${branch}`], { cwd: dir });
      return branch;
    }
    if (branches.length > 0) {
      throw new InputError(`branch ${branch} does not exist in the configuration repository`, {
        hints: [
          `Existing branches: ${branches.slice(0, 10).join(', ')}. Use ?ref=<branch> or create the branch first.`,
        ],
      });
    }
    // An empty remote: give it a first commit so there is a branch to track.
    await git.run(['checkout', '--quiet', '-B', branch], { cwd: dir });
    await initialCommit(git, dir, subPath);
    try {
      await git.run(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`], { cwd: dir });
    } catch (err) {
      if (!isPushRejected(err)) throw err;
      // Another instance initialised it first; take theirs.
      await git.run(['fetch', '--quiet', 'origin', `+refs/heads/${branch}:refs/remotes/origin/${branch}`], {
        cwd: dir,
      });
      await git.run(['reset', '--quiet', '--hard', `origin/${branch}`], { cwd: dir });
    }
    return branch;
  } catch (err) {
    // Leave no half-made clone behind: the next start would take it for a good one.
    await rm(dir, { recursive: true, force: true });
    if (err instanceof GitCommandError || err instanceof InputError) throw err;
    throw new UnavailableError('cannot clone the configuration repository', { cause: err });
  }
}
