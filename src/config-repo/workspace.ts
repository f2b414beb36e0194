import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { ConflictError, InputError, UnavailableError } from '../domain/errors.js';
import type { EndpointPolicy } from '../domain/endpoints.js';
import type { Logger } from '../logging/logger.js';
import { buildInClusterApplication, type InClusterApplication } from './argo.js';
import { Git, type GitOptions } from './git.js';
import { LAYOUT_DIRS, safeRelativePath } from './layout.js';
import type { ConfigRepoLocation } from './location.js';
import { ensureRemoteHead } from './remote-head.js';
import { loadSnapshot, type ConfigSnapshot, type ResourceVerifier } from './snapshot.js';
import { validateFile, type Problem } from './validate.js';
import { Transaction } from './transaction.js';
import { MutationJournal, recoverInterruptedMutation } from './recovery.js';
import { lastCommitsOf, type LastCommit } from './history.js';
import { openLocal, openRemote } from './clone.js';
import { AsyncMutex } from './mutex.js';
import { pushWithRebase, type PushContext } from './push.js';

/** What a mutation's callback may do; paths are relative to the configuration root (the sub-path). */
export interface ConfigTx {
  /** The file's text, or undefined when it does not exist. */
  read(rel: string): Promise<string | undefined>;
  write(rel: string, text: string): Promise<void>;
  /** Removes a file; removing a missing file is not an error (delete is idempotent). */
  remove(rel: string): Promise<void>;
  /** Entry names in a folder ('' for the root), sorted; [] when it does not exist. */
  list(dir: string): Promise<string[]>;
  exists(rel: string): Promise<boolean>;
}

export interface MutationResult<T> {
  result: T;
  /** The commit that holds the change, or null when the callback changed nothing. */
  commit: string | null;
}

export interface ConfigRepoOptions {
  location: ConfigRepoLocation;
  /** Where remote repositories are cloned: `<data-dir>/config-repo`. Owned by imagetrail. */
  workDir: string;
  git?: Git | GitOptions;
  logger?: Pick<Logger, 'info' | 'warn'>;
  /** How many times a mutation is re-applied when others push first. */
  maxAttempts?: number;
  /** Where the change in progress is recorded, to undo it after a crash (see recovery.ts). */
  journalFile?: string;
  /** Called between the steps of a mutation; crash tests kill the process there. */
  faultPoint?: (point: 'written' | 'staged' | 'committed') => void;
  /** Where credentials may be sent (`--allow-endpoint`); other endpoints are reported by `config status`. */
  endpoints?: EndpointPolicy;
  /** Checks against keys and pins outside Git, run on every load (sealed-value bindings, recipients). */
  verify?: ResourceVerifier;
  /**
   * Serialises mutations with other processes writing the same repository (replicas: a PostgreSQL
   * advisory lock). Push-and-rebase still guards against writers outside imagetrail.
   */
  exclusive?: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Called after a mutation landed a commit, to tell other replicas to pull. */
  onChanged?: () => void;
}

export type { LastCommit } from './history.js';

/**
 * The shared configuration repository as a working tree: a clone of a remote (fetched, committed and
 * pushed, never force-pushed) or a local repository committed into in place. All writes go through
 * `mutate`, one at a time, each as one commit.
 */
export class ConfigRepo {
  private readonly mutex = new AsyncMutex();
  private endpoints: { endpoints?: EndpointPolicy } = {};
  private current: ConfigSnapshot;
  private timer: NodeJS.Timeout | undefined;
  private autoSyncBusy = false;
  /** Set while a mutation's callback runs, to learn whether it based decisions on the snapshot. */
  private watchSnapshot = false;
  private snapshotUsed = false;
  private verify: ResourceVerifier | undefined;

  private constructor(
    private readonly location: ConfigRepoLocation,
    private readonly git: Git,
    /** The git work tree. */
    readonly repoDir: string,
    /** Repository sub-path ('' for none): where the layout starts. */
    private readonly subPath: string,
    private readonly branch: string,
    private readonly logger: Pick<Logger, 'info' | 'warn'> | undefined,
    private readonly maxAttempts: number,
    private readonly journal: MutationJournal,
    private readonly faultPoint: NonNullable<ConfigRepoOptions['faultPoint']>,
    private readonly coordination: Pick<ConfigRepoOptions, 'exclusive' | 'onChanged'> = {},
  ) {
    this.current = { commit: null, runtimes: new Map(), integrations: [], problems: [], files: new Map() };
  }

  static async open(options: ConfigRepoOptions): Promise<ConfigRepo> {
    const git = options.git instanceof Git ? options.git : new Git(options.git);
    const loc = options.location;
    const maxAttempts = options.maxAttempts ?? 5;
    const journal = new MutationJournal(options.journalFile);
    const fault = options.faultPoint ?? (() => undefined);
    const dir = path.resolve(loc.kind === 'local' ? loc.path : options.workDir);
    const subPath = loc.kind === 'local' ? '' : (loc.subPath ?? '');
    const branch =
      loc.kind === 'local'
        ? await openLocal(git, dir)
        : await openRemote(git, dir, loc.url, loc.ref, subPath);
    if (loc.kind === 'remote') {
      // A plain `git clone` of the remote must show what imagetrail pushed (its HEAD may be dangling).
      await ensureRemoteHead(git, dir, loc.url, branch, options.logger).catch((err: unknown) => {
        options.logger?.warn({ err }, 'config repo: cannot check the remote default branch');
      });
    }
    const repo = new ConfigRepo(loc, git, dir, subPath, branch, options.logger, maxAttempts, journal, fault, {
      ...(options.exclusive ? { exclusive: options.exclusive } : {}),
      ...(options.onChanged ? { onChanged: options.onChanged } : {}),
    });
    await recoverInterruptedMutation({
      git,
      repoDir: dir,
      subPath,
      isRemote: loc.kind === 'remote',
      journal,
      logger: options.logger,
    });
    if (options.endpoints) repo.endpoints = { endpoints: options.endpoints };
    repo.verify = options.verify;
    await repo.sync();
    return repo;
  }

  /** Absolute path of the configuration root (the repository sub-path) on disk. */
  get root(): string {
    return this.subPath ? path.join(this.repoDir, this.subPath) : this.repoDir;
  }

  get isRemote(): boolean {
    return this.location.kind === 'remote';
  }

  /** The last loaded state. Inside a mutation, the freshly synced state the mutation starts from. */
  snapshot(): ConfigSnapshot {
    if (this.watchSnapshot) this.snapshotUsed = true;
    return this.current;
  }

  /** Pulls (remote) and reloads the snapshot; picks up changes made by hand in Git. */
  sync(): Promise<ConfigSnapshot> {
    return this.mutex.run(() => this.syncLocked());
  }

  /** The Argo CD Application for `runtimes/<runtime>/in-cluster.yaml`, pointing at this repository. */
  inClusterApplication(runtime: string): InClusterApplication {
    return buildInClusterApplication({ runtime, location: this.location, branch: this.branch });
  }

  /** The newest commit touching any of `files` (relative to the configuration root). */
  async lastCommit(files: readonly string[]): Promise<LastCommit | null> {
    if (files.length === 0) return null;
    const paths = files.map((f) => this.repoRel(safeRelativePath(f)));
    const r = await this.git.tryRun(['log', '-1', '--format=%H%x00%s%x00%cI', '--', ...paths], {
      cwd: this.repoDir,
    });
    const [sha, subject, time] = r.stdout.trim().split('\0');
    return r.exitCode === 0 && sha && subject !== undefined && time ? { sha, subject, time } : null;
  }

  /**
   * For each group of files (relative to the configuration root), the newest commit touching any of them,
   * from one pass over the history of the layout folders.
   */
  async lastCommits(groups: ReadonlyArray<readonly string[]>): Promise<Array<LastCommit | null>> {
    const rels = groups.map((g) => g.map((f) => this.repoRel(safeRelativePath(f))));
    const scopes = LAYOUT_DIRS.map((d) => this.repoRel(d));
    const found = await lastCommitsOf(this.git, this.repoDir, scopes, rels.flat());
    return rels.map((g) => {
      const hits = g.map((f) => found.get(f)).filter((c): c is LastCommit => c !== undefined);
      // ISO 8601 times with the committer's offset: compare as dates, newest wins.
      return hits.sort((a, b) => Date.parse(b.time) - Date.parse(a.time))[0] ?? null;
    });
  }

  /**
   * Applies `fn` to a fresh state and lands it as one commit. Serialised in-process; when another
   * writer pushed first, the commit is rebased, or, if the rebase conflicts, `fn` runs again on the new
   * state, so no update is lost. Any failure leaves the working tree at the pre-mutation commit.
   */
  mutate<T>(message: string, fn: (tx: ConfigTx) => Promise<T>): Promise<MutationResult<T>> {
    const msg = message.trim();
    if (msg === '') return Promise.reject(new InputError('a commit message is required'));
    const exclusive = this.coordination.exclusive ?? (<R>(f: () => Promise<R>) => f());
    return this.mutex.run(() => exclusive(() => this.mutateLocked(msg, fn)));
  }

  private async mutateLocked<T>(msg: string, fn: (tx: ConfigTx) => Promise<T>): Promise<MutationResult<T>> {
    let lastReason: unknown;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      await this.syncLocked();
      await this.assertClean();
      const base = await this.git.revParse(this.repoDir, 'HEAD');
      if (base) await this.journal.begin(base, msg);
      const tx = new Transaction(this.root);
      try {
        this.watchSnapshot = true;
        this.snapshotUsed = false;
        const result = await fn(tx).finally(() => {
          this.watchSnapshot = false;
        });
        tx.close();
        await this.assertValid(tx.changed());
        this.faultPoint('written');
        await this.git.run(['add', '-A', '--', this.subPath || '.'], { cwd: this.repoDir });
        this.faultPoint('staged');
        const staged = await this.git.tryRun(['diff', '--cached', '--quiet'], { cwd: this.repoDir });
        if (staged.exitCode === 0) {
          await this.journal.end();
          return { result, commit: null };
        }
        await this.git.run(['commit', '--quiet', '--no-verify', '-m', msg], { cwd: this.repoDir });
        this.faultPoint('committed');
        if (!this.isRemote) {
          await this.journal.end(); // durable from here on: the API may acknowledge it
          this.coordination.onChanged?.();
          await this.reload();
          return { result, commit: this.current.commit };
        }
        const pushed = await pushWithRebase(this.pushContext(), tx, this.snapshotUsed);
        if (pushed.outcome === 'conflict') {
          lastReason = pushed.reason;
          this.logger?.info(
            { attempt },
            `config repo: concurrent change conflicts (${pushed.reason}); re-applying`,
          );
          await this.rollback(base, tx);
          continue;
        }
        await this.journal.end(); // pushed: durable, the API may acknowledge it
        // Told before this replica reloads, so the others pull in parallel with it.
        if (pushed.outcome === 'pushed') this.coordination.onChanged?.();
        await this.reload();
        return { result, commit: pushed.outcome === 'pushed' ? this.current.commit : null };
      } catch (err) {
        tx.close();
        // A failed rollback keeps the record, so that the next start finishes it.
        if (await this.rollback(base, tx)) await this.journal.end().catch(() => undefined);
        throw err;
      }
    }
    await this.journal.end();
    throw new ConflictError(
      `the shared configuration repository kept changing underneath; gave up after ${this.maxAttempts} attempts`,
      { cause: lastReason, hints: ['Retry in a moment.'] },
    );
  }

  /** Pulls every `intervalMs`; errors are logged and the last good snapshot keeps serving. */
  startAutoSync(intervalMs: number, onError?: (err: unknown) => void, onSynced?: () => void): void {
    this.stopAutoSync();
    this.timer = setInterval(() => {
      if (this.autoSyncBusy) return;
      this.autoSyncBusy = true;
      this.sync()
        .then(() => onSynced?.())
        .catch((err: unknown) => {
          if (onError) onError(err);
          else this.logger?.warn({ err }, 'config repo: periodic sync failed');
        })
        .finally(() => {
          this.autoSyncBusy = false;
        });
    }, intervalMs);
    this.timer.unref();
  }

  stopAutoSync(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stops the periodic pull and waits for the running sync or mutation to finish. */
  async stop(): Promise<void> {
    this.stopAutoSync();
    await this.mutex.idle();
  }

  // ---- internals (all called with the mutex held)

  private async syncLocked(): Promise<ConfigSnapshot> {
    if (this.isRemote) {
      await this.fetch();
      if (!(await this.git.revParse(this.repoDir, `origin/${this.branch}`))) {
        throw new UnavailableError(
          `branch ${this.branch} no longer exists on the configuration repository remote`,
        );
      }
      // The clone is ours and holds nothing unpushed, so resetting is a fast-forward or a no-op.
      await this.git.run(['reset', '--quiet', '--hard', `origin/${this.branch}`], { cwd: this.repoDir });
      await this.git.run(['clean', '-ffdq'], { cwd: this.repoDir });
    }
    return this.reload();
  }

  private async reload(): Promise<ConfigSnapshot> {
    const commit = await this.git.revParse(this.repoDir, 'HEAD');
    this.current = await loadSnapshot(this.root, this.current, {
      commit,
      git: this.git,
      ...this.endpoints,
      ...(this.verify ? { verify: this.verify } : {}),
    });
    return this.current;
  }

  private async fetch(): Promise<void> {
    await this.git.run(
      [
        'fetch',
        '--quiet',
        '--prune',
        'origin',
        `+refs/heads/${this.branch}:refs/remotes/origin/${this.branch}`,
      ],
      { cwd: this.repoDir },
    );
  }

  /** Local mode commits in the user's working tree: never mix in, or reset away, their uncommitted work. */
  private async assertClean(): Promise<void> {
    if (this.isRemote) return;
    const dirty = await this.git.status(this.repoDir);
    if (dirty.length > 0) {
      throw new ConflictError(`the configuration repository ${this.repoDir} has uncommitted changes`, {
        details: dirty.slice(0, 20).map((l) => ({ message: l })),
        hints: ['Commit or stash them (git -C … status), then retry.'],
      });
    }
  }

  private async assertValid(changed: readonly string[]): Promise<void> {
    const errors: Problem[] = [];
    for (const rel of changed) {
      let text: string;
      try {
        text = await readFile(path.join(this.root, rel), 'utf8');
      } catch {
        continue; // removed
      }
      errors.push(...validateFile(rel, text).problems.filter((p) => p.severity === 'error'));
    }
    if (errors.length > 0) {
      throw new InputError('the change would leave invalid configuration; nothing was committed', {
        details: errors.map((p) => ({
          path: p.path,
          message: `${p.file}${p.path ? ` ${p.path}` : ''}: ${p.message}`,
        })),
      });
    }
  }

  /**
   * Pushes; when rejected, rebases only if what others pushed is disjoint from everything the callback
   * read, listed or wrote (and, if it consulted the snapshot, from the whole configuration). A textual
   * rebase cannot see read-modify-write conflicts: two writers that both turn "1" into "2" rebase
   * cleanly and one increment is lost. Overlap therefore means re-running the callback on the new state.
   */
  private pushContext(): PushContext {
    return {
      ...{ git: this.git, repoDir: this.repoDir, branch: this.branch, subPath: this.subPath },
      maxAttempts: this.maxAttempts,
      fetch: () => this.fetch(),
      assertValid: (changed) => this.assertValid(changed),
    };
  }

  private async rollback(base: string | null, tx: Transaction): Promise<boolean> {
    try {
      await this.git.tryRun(['rebase', '--abort'], { cwd: this.repoDir });
      if (base) await this.git.run(['reset', '--quiet', '--hard', base], { cwd: this.repoDir });
      // The tree was clean when the mutation began, so every untracked file here is the mutation's.
      await this.git.run(['clean', '-ffdq', '--', this.subPath || '.'], { cwd: this.repoDir });
      for (const rel of tx.createdFiles()) await rm(path.join(this.root, rel), { force: true });
      return true;
    } catch (err) {
      this.logger?.warn({ err }, 'config repo: rollback failed; the next start or sync undoes the change');
      return false;
    }
  }

  private repoRel(rel: string): string {
    return this.subPath ? `${this.subPath}/${rel}` : rel;
  }
}
