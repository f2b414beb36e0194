import { execFile } from 'node:child_process';
import { UnavailableError } from '../domain/errors.js';
import type { Redactor } from '../logging/redactor.js';
import { timedRemoteCall, type Telemetry } from '../domain/telemetry.js';
import { stripUrlCredentials } from './location.js';

export interface GitIdentity {
  name: string;
  email: string;
}

export interface GitOptions {
  /** The git executable; `git` from PATH by default. */
  binary?: string;
  /** Per-call timeout; network calls to a stuck remote must not hang a request forever. */
  timeoutMs?: number;
  /** Author and committer of imagetrail's commits. */
  identity?: GitIdentity;
  /** Base environment (defaults to the process environment, so credential helpers and SSH agents work). */
  env?: NodeJS.ProcessEnv;
  /** Applied to stderr in error messages, on top of URL credential stripping. */
  redactor?: Redactor;
  /** Calls that talk to a remote (fetch, push, clone…) are timed and counted here. */
  telemetry?: Telemetry;
}

/** Subcommands that reach the remote; the rest are local and not counted as remote calls. */
const REMOTE_COMMANDS = new Set(['fetch', 'push', 'pull', 'clone', 'ls-remote']);

export interface GitResult {
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  timeoutMs?: number;
}

export const DEFAULT_GIT_IDENTITY: GitIdentity = { name: 'imagetrail', email: 'imagetrail@localhost' };
const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * A git command that failed. It is an UnavailableError because most failures are a remote that cannot
 * be reached or authenticated to; callers that expect a specific failure (rejected push, rebase
 * conflict) test for it with the helpers below and recover.
 */
export class GitCommandError extends UnavailableError {
  readonly args: readonly string[];
  readonly exitCode: number | null;
  readonly stderr: string;
  readonly stdout: string;
  readonly timedOut: boolean;

  constructor(
    message: string,
    fields: {
      args: readonly string[];
      exitCode: number | null;
      stderr: string;
      stdout: string;
      timedOut: boolean;
    },
    options: { cause?: unknown; hints?: string[] } = {},
  ) {
    super(message, options);
    this.args = fields.args;
    this.exitCode = fields.exitCode;
    this.stderr = fields.stderr;
    this.stdout = fields.stdout;
    this.timedOut = fields.timedOut;
  }
}

/**
 * A thin wrapper around the git CLI: `execFile` (never a shell), a timeout on every call, no prompts,
 * stable English messages, a fixed committer identity. One instance per ConfigRepo, injected.
 */
export class Git {
  private readonly binary: string;
  private readonly timeoutMs: number;
  private readonly env: NodeJS.ProcessEnv;
  private readonly redactor: Redactor | undefined;
  private readonly telemetry: Telemetry | undefined;

  constructor(options: GitOptions = {}) {
    this.binary = options.binary ?? 'git';
    this.telemetry = options.telemetry;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.redactor = options.redactor;
    const identity = options.identity ?? DEFAULT_GIT_IDENTITY;
    const base = options.env ?? process.env;
    this.env = {
      ...base,
      // A prompt would block a server thread until the timeout; fail fast and say why instead.
      GIT_TERMINAL_PROMPT: '0',
      GIT_SSH_COMMAND: base['GIT_SSH_COMMAND'] ?? 'ssh -o BatchMode=yes',
      // Error classification reads stderr, so keep it in English.
      LC_ALL: 'C',
      LANGUAGE: 'C',
      GIT_AUTHOR_NAME: identity.name,
      GIT_AUTHOR_EMAIL: identity.email,
      GIT_COMMITTER_NAME: identity.name,
      GIT_COMMITTER_EMAIL: identity.email,
      GIT_EDITOR: 'true',
      GIT_MERGE_AUTOEDIT: 'no',
    };
  }

  /** Runs `git <args>`; a non-zero exit becomes a GitCommandError with sanitised stderr. */
  run(args: readonly string[], options: RunOptions = {}): Promise<GitResult> {
    const command = args[0] ?? '';
    if (!this.telemetry || !REMOTE_COMMANDS.has(command)) return this.exec(args, options);
    return timedRemoteCall(
      this.telemetry,
      'git',
      command,
      () => this.exec(args, options),
      () => 'ok',
      (err) => (err instanceof GitCommandError && err.timedOut ? 'timeout' : 'error'),
    );
  }

  private exec(args: readonly string[], options: RunOptions): Promise<GitResult> {
    const timeout = options.timeoutMs ?? this.timeoutMs;
    return new Promise((resolve, reject) => {
      execFile(
        this.binary,
        args,
        { cwd: options.cwd, env: this.env, timeout, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
        (err, stdout, stderr) => {
          if (!err) {
            resolve({ stdout, stderr });
            return;
          }
          const e = err as NodeJS.ErrnoException & {
            code?: number | string;
            killed?: boolean;
            signal?: string;
          };
          const timedOut = e.killed === true || e.signal === 'SIGTERM';
          const cleanErr = this.sanitize(stderr.trim());
          const cleanArgs = args.map((a) => this.sanitize(a));
          const what = `git ${cleanArgs.slice(0, 3).join(' ')}`;
          const message = timedOut
            ? `${what} timed out after ${timeout} ms`
            : e.code === 'ENOENT'
              ? `${this.binary} is not installed or not on PATH`
              : `${what} failed${cleanErr ? `: ${lastLines(cleanErr, 6)}` : ''}`;
          reject(
            new GitCommandError(
              message,
              {
                args: cleanArgs,
                exitCode: typeof e.code === 'number' ? e.code : null,
                stderr: cleanErr,
                stdout: this.sanitize(stdout),
                timedOut,
              },
              { hints: hintsFor(cleanErr) },
            ),
          );
        },
      );
    });
  }

  /** Like run, but resolves with the exit code instead of throwing for a non-zero exit. */
  async tryRun(args: readonly string[], options: RunOptions = {}): Promise<GitResult & { exitCode: number }> {
    try {
      return { ...(await this.run(args, options)), exitCode: 0 };
    } catch (err) {
      if (err instanceof GitCommandError && err.exitCode !== null && !err.timedOut) {
        return { stdout: err.stdout, stderr: err.stderr, exitCode: err.exitCode };
      }
      throw err;
    }
  }

  async revParse(cwd: string, rev: string): Promise<string | null> {
    const r = await this.tryRun(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { cwd });
    return r.exitCode === 0 ? r.stdout.trim() : null;
  }

  async currentBranch(cwd: string): Promise<string | null> {
    const r = await this.tryRun(['symbolic-ref', '--quiet', '--short', 'HEAD'], { cwd });
    return r.exitCode === 0 ? r.stdout.trim() : null;
  }

  /** `git status --porcelain` lines, optionally limited to some paths. */
  async status(cwd: string, paths: readonly string[] = []): Promise<string[]> {
    const args = ['status', '--porcelain=v1', '--untracked-files=all'];
    if (paths.length > 0) args.push('--', ...paths);
    const { stdout } = await this.run(args, { cwd });
    return stdout.split('\n').filter((l) => l !== '');
  }

  private sanitize(text: string): string {
    const stripped = stripUrlCredentials(text);
    return this.redactor ? this.redactor.redact(stripped) : stripped;
  }
}

/** The remote refused a push because it has commits we have not seen; fetch, rebase and retry. */
export function isPushRejected(err: unknown): boolean {
  if (!(err instanceof GitCommandError)) return false;
  const text = `${err.stdout}\n${err.stderr}`;
  return /\[rejected\]|\[remote rejected\].*(fetch first|non-fast-forward|cannot lock ref|failed to update ref)|non-fast-forward|fetch first|failed to update ref|cannot lock ref/i.test(
    text,
  );
}

function lastLines(text: string, n: number): string {
  return text.split('\n').slice(-n).join('\n');
}

function hintsFor(stderr: string): string[] {
  if (
    /Authentication failed|could not read Username|terminal prompts disabled|Permission denied \(publickey/i.test(
      stderr,
    )
  ) {
    return [
      'Configure a git credential helper or an SSH key for the imagetrail process user; prompts are disabled.',
    ];
  }
  if (/Could not resolve host|Connection refused|Connection timed out|unable to access/i.test(stderr)) {
    return ['Check that the configuration repository host is reachable from the server.'];
  }
  if (/does not appear to be a git repository|Repository not found|not found/i.test(stderr)) {
    return ['Check the --config-repo URL and that the credentials can read the repository.'];
  }
  return [];
}
