import { open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import type { Logger } from '../logging/logger.js';
import type { Git } from './git.js';
import { LAYOUT_DIRS } from './layout.js';

/**
 * A write-ahead record of the configuration change in progress (ADR "config-repo crash recovery"). It is
 * written before a mutation touches the working tree and removed once the change is durable: committed
 * (local mode) or pushed (remote mode), which happens before the API answers. A record found on start
 * means the previous process died in between, so the change was never acknowledged and is undone.
 */
export const JournalEntry = z.object({
  /** HEAD when the mutation began: the state to return to. */
  base: z.string().regex(/^[0-9a-f]{40,64}$/),
  /** The commit message, to recognise the mutation's own commit on top of `base`. */
  message: z.string(),
  pid: z.number().int(),
  startedAt: z.string(),
});
export type JournalEntry = z.infer<typeof JournalEntry>;

export class MutationJournal {
  constructor(private readonly file: string | undefined) {}

  async begin(base: string, message: string): Promise<void> {
    if (!this.file) return;
    const entry: JournalEntry = { base, message, pid: process.pid, startedAt: new Date().toISOString() };
    // Written to a temporary file, flushed and renamed: a crash leaves the old record or the new one.
    const tmp = `${this.file}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(entry) + '\n');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.file);
  }

  async end(): Promise<void> {
    if (this.file) await rm(this.file, { force: true });
  }

  async read(): Promise<JournalEntry | undefined> {
    if (!this.file) return undefined;
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      return undefined;
    }
    const parsed = JournalEntry.safeParse(safeJson(text));
    return parsed.success ? parsed.data : undefined;
  }
}

export interface RecoveryOptions {
  git: Git;
  repoDir: string;
  /** The repository sub-path the layout lives in ('' for none). */
  subPath: string;
  isRemote: boolean;
  journal: MutationJournal;
  logger?: Pick<Logger, 'info' | 'warn'> | undefined;
}

/**
 * Runs on start, before the first sync: undoes what a process killed in the middle of a mutation left
 * behind (a stale `index.lock`, a rebase in progress, written or staged files, its own commit that was
 * never acknowledged). An acknowledged change is never touched: its record was removed when it became
 * durable. Remote mode needs less: the clone is reset to the remote on every sync anyway.
 */
export async function recoverInterruptedMutation(o: RecoveryOptions): Promise<void> {
  const entry = await o.journal.read();
  const gitDir = await o.git.tryRun(['rev-parse', '--absolute-git-dir'], { cwd: o.repoDir });
  const lock = gitDir.exitCode === 0 ? path.join(gitDir.stdout.trim(), 'index.lock') : undefined;
  // One server per data directory holds the clone, so in remote mode an index.lock is always a dead
  // git's. In local mode the user's own git could hold it: only a journalled mutation's lock is removed.
  if (lock && (entry || o.isRemote)) await rm(lock, { force: true });
  if (!entry) return;
  o.logger?.warn(
    { base: entry.base, message: entry.message, pid: entry.pid },
    'config repo: the previous server stopped in the middle of a change that was never acknowledged; undoing it',
  );
  await o.git.tryRun(['rebase', '--abort'], { cwd: o.repoDir });
  if (!o.isRemote) await undoLocal(o, entry);
  await o.journal.end();
}

async function undoLocal(o: RecoveryOptions, entry: JournalEntry): Promise<void> {
  const head = await o.git.revParse(o.repoDir, 'HEAD');
  if (head !== entry.base) {
    const parent = await o.git.revParse(o.repoDir, 'HEAD^');
    const subject = await o.git.tryRun(['log', '-1', '--format=%B'], { cwd: o.repoDir });
    if (parent !== entry.base || subject.stdout.trim() !== entry.message.trim()) {
      // Someone committed since; their history is theirs to keep. The mutation's files may be in it.
      o.logger?.warn(
        { head, base: entry.base },
        'config repo: HEAD moved on since the interrupted change; left as it is',
      );
      return;
    }
  }
  // The mutation began on a clean tree (mutate checks), so what differs from base is the mutation's.
  await o.git.run(['reset', '--quiet', '--hard', entry.base], { cwd: o.repoDir });
  const prefix = o.subPath ? `${o.subPath}/` : '';
  await o.git.run(['clean', '-ffdq', '--', ...LAYOUT_DIRS.map((d) => prefix + d)], { cwd: o.repoDir });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
