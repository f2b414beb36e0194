import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bareRemote, git } from '../../helpers/git.js';

const exec = promisify(execFile);

/**
 * A bare remote for the shared configuration repository that fights back, driven by files in its state
 * directory (so the test changes behaviour while the server runs):
 *
 * - `reject`: the next N pushes are declined by the pre-receive hook.
 * - `move`: on the next N pushes, the pre-receive hook first has ANOTHER clone push a commit to
 *   `notes/mover.txt`, so the branch moves between imagetrail's fetch and its push, and imagetrail's ref
 *   update then fails ("cannot lock ref … expected …").
 *
 * Pushes made with `IT_WRITER=1` or from inside the hook (`IT_NESTED=1`) get no faults. A
 * reference-transaction hook logs every committed update of a branch (`old new ref`), so a test can
 * prove that the history only grew (no force-push).
 */
export interface HostileRemote {
  url: string;
  path: string;
  setRejects(n: number): Promise<void>;
  setMoves(n: number): Promise<void>;
  /** Commits the mover pushed from inside the hook. */
  moved(): Promise<number>;
  /** Pushes declined so far. */
  rejected(): Promise<number>;
  /** Every committed update of refs/heads/*: [old, new]. */
  updates(): Promise<Array<[string, string]>>;
  head(): Promise<string>;
  isAncestor(a: string, b: string): Promise<boolean>;
  cleanup(): Promise<void>;
}

const PRE_RECEIVE = `#!/bin/bash
# test/faults hostile remote: decline or move the branch on demand (see hostile-remote.ts)
set -u
STATE="__STATE__"
cat > /dev/null
if [ -n "\${IT_NESTED:-}" ] || [ -n "\${IT_WRITER:-}" ]; then exit 0; fi
exec 9>"$STATE/lock"
flock 9
n=$(cat "$STATE/reject" 2>/dev/null || echo 0)
if [ "$n" -gt 0 ]; then
  echo $((n - 1)) > "$STATE/reject"
  echo $(( $(cat "$STATE/rejected" 2>/dev/null || echo 0) + 1 )) > "$STATE/rejected"
  echo "test/faults: push declined by policy (injected)" >&2
  exit 1
fi
m=$(cat "$STATE/move" 2>/dev/null || echo 0)
if [ "$m" -gt 0 ]; then
  echo $((m - 1)) > "$STATE/move"
  (
    unset GIT_DIR GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES GIT_PUSH_OPTION_COUNT
    export IT_NESTED=1
    cd "$STATE/mover" || exit 1
    for i in 1 2 3 4 5; do
      git pull -q --rebase origin main >&2 || true
      mkdir -p notes
      echo "moved $(date +%s%N)" >> notes/mover.txt
      git add notes/mover.txt && git commit -q -m "mover: moving the branch underneath" >&2
      if git push -q origin HEAD:main >&2; then
        echo $(( $(cat "$STATE/moved" 2>/dev/null || echo 0) + 1 )) > "$STATE/moved"
        break
      fi
      git reset -q --hard origin/main
    done
  )
fi
exit 0
`;

const REFERENCE_TRANSACTION = `#!/bin/bash
[ "$1" = committed ] || { cat > /dev/null; exit 0; }
while read -r old new ref; do
  case "$ref" in refs/heads/*) echo "$old $new $ref" >> "__STATE__/updates.log" ;; esac
done
exit 0
`;

export async function hostileRemote(): Promise<HostileRemote> {
  const remote = await bareRemote();
  const state = join(remote.path, '..', 'state');
  await mkdir(state, { recursive: true });
  for (const [name, body] of [
    ['pre-receive', PRE_RECEIVE],
    ['reference-transaction', REFERENCE_TRANSACTION],
  ] as const) {
    const f = join(remote.path, 'hooks', name);
    await writeFile(f, body.replaceAll('__STATE__', state));
    await chmod(f, 0o755);
  }
  const num = async (f: string) =>
    Number((await readFile(join(state, f), 'utf8').catch(() => '0')).trim() || 0);
  let moverReady = false;
  return {
    url: remote.url,
    path: remote.path,
    async setRejects(n) {
      await writeFile(join(state, 'reject'), `${n}\n`);
    },
    async setMoves(n) {
      // The mover's clone needs a branch to clone: made on first use, once imagetrail initialised the remote.
      if (!moverReady) {
        await exec('git', ['clone', '-q', remote.url, join(state, 'mover')]);
        await git(join(state, 'mover'), 'config', 'user.name', 'mover');
        await git(join(state, 'mover'), 'config', 'user.email', 'mover@localhost');
        moverReady = true;
      }
      await writeFile(join(state, 'move'), `${n}\n`);
    },
    moved: () => num('moved'),
    rejected: () => num('rejected'),
    async updates() {
      const text = await readFile(join(state, 'updates.log'), 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => l.split(' ') as [string, string])
        .map(([o, n]) => [o, n]);
    },
    head: async () => (await git(remote.path, 'rev-parse', 'refs/heads/main')).trim(),
    async isAncestor(a, b) {
      try {
        await exec('git', ['merge-base', '--is-ancestor', a, b], { cwd: remote.path });
        return true;
      } catch {
        return false;
      }
    },
    cleanup: () => remote.cleanup(),
  };
}
