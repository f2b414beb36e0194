import { UnavailableError } from '../domain/errors.js';
import { isPushRejected, type Git } from './git.js';
import { LAYOUT_DIRS } from './layout.js';
import type { Transaction } from './transaction.js';

/** What pushing a mutation needs from the workspace. */
export interface PushContext {
  git: Git;
  repoDir: string;
  branch: string;
  subPath: string;
  maxAttempts: number;
  fetch(): Promise<void>;
  assertValid(changed: readonly string[]): Promise<void>;
}

/**
 * Pushes the mutation's commit; when the remote moved, rebases onto it unless others changed what the
 * mutation read (then the caller re-applies it on the new state), and re-validates the rebased result.
 */
export async function pushWithRebase(
  c: PushContext,
  tx: Transaction,
  usedSnapshot: boolean,
): Promise<{ outcome: 'pushed' | 'already-there' } | { outcome: 'conflict'; reason: string }> {
  for (let i = 0; i < c.maxAttempts; i++) {
    const ahead = await c.git.run(['rev-list', '--count', `origin/${c.branch}..HEAD`], {
      cwd: c.repoDir,
    });
    // Someone else pushed exactly the same change; the rebase dropped ours as empty.
    if (ahead.stdout.trim() === '0') return { outcome: 'already-there' };
    try {
      await c.git.run(['push', '--porcelain', 'origin', `HEAD:refs/heads/${c.branch}`], {
        cwd: c.repoDir,
      });
      return { outcome: 'pushed' };
    } catch (err) {
      if (!isPushRejected(err)) throw err;
    }
    await c.fetch();
    const upstream = await c.git.run(['diff', '--name-only', '-z', 'HEAD^', `origin/${c.branch}`], {
      cwd: c.repoDir,
    });
    const prefix = c.subPath ? `${c.subPath}/` : '';
    const theirs = upstream.stdout
      .split('\0')
      .filter((f) => f !== '' && f.startsWith(prefix))
      .map((f) => f.slice(prefix.length));
    // The snapshot reads only the layout's folders; others' notes or READMEs are no conflict.
    const inLayout = (f: string) => LAYOUT_DIRS.some((d) => f === d || f.startsWith(`${d}/`));
    if (theirs.some((f) => (usedSnapshot && inLayout(f)) || tx.dependsOn(f))) {
      return { outcome: 'conflict', reason: 'others changed what this change was based on' };
    }
    const rebase = await c.git.tryRun(['rebase', '--quiet', `origin/${c.branch}`], {
      cwd: c.repoDir,
    });
    if (rebase.exitCode !== 0) {
      await c.git.tryRun(['rebase', '--abort'], { cwd: c.repoDir });
      return { outcome: 'conflict', reason: 'rebase conflict' };
    }
    // A clean textual rebase can still merge two YAML edits into an invalid file; re-apply instead.
    try {
      await c.assertValid(tx.changed());
    } catch {
      return { outcome: 'conflict', reason: 'rebased result is invalid' };
    }
  }
  throw new UnavailableError(`pushing to the configuration repository was rejected ${c.maxAttempts} times`, {
    hints: ['Check that the branch is not protected against pushes by imagetrail.'],
  });
}
