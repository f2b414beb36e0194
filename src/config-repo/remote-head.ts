import { fileURLToPath } from 'node:url';
import type { Logger } from '../logging/logger.js';
import type { Git } from './git.js';

export type RemoteHeadState =
  /** Could not be checked (the remote did not answer); logged, never fatal. */
  | { state: 'unknown' }
  /** The remote's HEAD names a branch that exists: a plain `git clone` checks something out. */
  | { state: 'ok'; head: string }
  /** It was dangling on a bare repository on this host, and now points at imagetrail's branch. */
  | { state: 'fixed'; head: string }
  /** It is dangling on a server imagetrail cannot change; a plain clone shows nothing. */
  | { state: 'dangling' };

/** The bare repository's folder when the remote is one on this host (a path or a file:// URL). */
function localBarePath(url: string): string | null {
  if (url.startsWith('/')) return url;
  if (/^file:\/\//i.test(url)) {
    try {
      return fileURLToPath(url);
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * `git init --bare` points HEAD at `master` (or init.defaultBranch) whatever branch is pushed later, so a
 * remote that imagetrail initialised on `main` advertises no HEAD: `git clone` then warns "remote HEAD
 * refers to nonexistent ref" and checks out nothing. For a bare repository on this host, point its HEAD at
 * the branch imagetrail pushes, but only while HEAD is dangling (a HEAD someone chose is left alone). For a
 * server (GitHub, GitLab, …) the default branch is a server setting: report it.
 */
export async function ensureRemoteHead(
  git: Git,
  cloneDir: string,
  url: string,
  branch: string,
  logger?: Pick<Logger, 'warn'>,
): Promise<RemoteHeadState> {
  try {
    return await checkRemoteHead(git, cloneDir, url, branch, logger);
  } catch (err) {
    logger?.warn({ err }, 'config repo: cannot check the remote default branch (HEAD)');
    return { state: 'unknown' };
  }
}

async function checkRemoteHead(
  git: Git,
  cloneDir: string,
  url: string,
  branch: string,
  logger?: Pick<Logger, 'warn'>,
): Promise<RemoteHeadState> {
  const advertised = await git.tryRun(['ls-remote', '--symref', 'origin', 'HEAD'], { cwd: cloneDir });
  const head = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(advertised.stdout)?.[1];
  if (advertised.exitCode === 0 && head) return { state: 'ok', head };

  const bare = localBarePath(url);
  if (bare) {
    const ours = await git.tryRun(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`], {
      cwd: bare,
    });
    const current = await git.tryRun(['symbolic-ref', '--quiet', 'HEAD'], { cwd: bare });
    const target = current.stdout.trim();
    const dangling =
      target === '' ||
      (await git.tryRun(['rev-parse', '--verify', '--quiet', `${target}^{commit}`], { cwd: bare }))
        .exitCode !== 0;
    if (ours.exitCode === 0 && dangling) {
      await git.run(['symbolic-ref', 'HEAD', `refs/heads/${branch}`], { cwd: bare });
      return { state: 'fixed', head: branch };
    }
  }
  logger?.warn(
    { branch },
    `the configuration repository's remote has no default branch (HEAD) that exists, so a plain git clone shows nothing; set its default branch to ${branch} on the Git server. Argo CD is unaffected: in-cluster.yaml names the branch.`,
  );
  return { state: 'dangling' };
}
