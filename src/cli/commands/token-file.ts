import { open, rm, type FileHandle } from 'node:fs/promises';
import { InputError } from '../../domain/errors.js';
import type { Registration } from '../../contract/admin-answers.js';
import type { stdio } from '../output.js';

/** `--output FILE` of `runtime add` and `runtime token`: where the registration token goes instead of stdout. */
export const TOKEN_OUTPUT_HELP =
  'hybrid runtimes: write the registration token to this new file (mode 0600) instead of stdout';

/**
 * A new file only this user can read (a registration token is a secret until it is used), created before
 * the token is issued: a file that cannot be written is said before a token is spent on it.
 */
export class TokenFile {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  static async create(path: string | undefined): Promise<TokenFile | undefined> {
    if (path === undefined) return undefined;
    const handle = await open(path, 'wx', 0o600).catch((err: NodeJS.ErrnoException) => {
      throw new InputError(`Cannot write ${path} (${err.code ?? err.message}).`, {
        hints:
          err.code === 'EEXIST' ? ['Give a file that does not exist yet: it is created with mode 0600.'] : [],
      });
    });
    return new TokenFile(path, handle);
  }

  async write(token: string): Promise<void> {
    try {
      await this.handle.writeFile(token + '\n');
    } finally {
      await this.handle.close();
    }
  }

  /** No token came (the call failed, or the runtime has no agent): the empty file goes. */
  async discard(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await rm(this.path, { force: true });
  }
}

/** Runs `issue` with the file made first; the file is removed again when no token comes of it. */
export async function issuingInto<T>(
  file: TokenFile | undefined,
  issue: () => Promise<T>,
  tokenOf: (answer: T) => Registration | undefined,
): Promise<T> {
  let answer: T;
  try {
    answer = await issue();
  } catch (err) {
    await file?.discard();
    throw err;
  }
  const registration = tokenOf(answer);
  if (file && registration) await file.write(registration.registrationToken);
  else await file?.discard();
  return answer;
}

/** With --output, the JSON answer names the file the token went to instead of carrying the token. */
export function withoutToken(r: Registration, file: TokenFile | undefined) {
  if (!file) return r;
  const { registrationToken: _inFile, ...rest } = r;
  return { ...rest, registrationTokenFile: file.path };
}

/** Says how to start the agent with the token (stderr); the token itself goes to stdout unless in a file. */
export function printRegistration(
  out: ReturnType<typeof stdio>,
  r: Registration,
  server: string,
  file: TokenFile | undefined,
): void {
  // The address this CLI used; from another machine or cluster the agent needs the server's public URL.
  const local = /^https?:\/\/(127\.|localhost[:/]|\[::1\])/.test(server);
  out.err(
    `Registration token for runtime ${r.runtime} (one use, expires ${r.expiresAt})${file ? ` written to ${file.path}` : ''}; ` +
      `${file ? '' : 'put it in a file (mode 0600) and '}start the agent where the runtime lives:\n` +
      `  imagetrail agent --server ${server} --runtime ${r.runtime} --data-dir .imagetrail-agent/${r.runtime} --registration-token-file ${file?.path ?? 'FILE'}\n` +
      (local ? `(On another machine: --server with this control plane's public URL.)\n` : '') +
      'Later starts find the credential in the data directory and need no token.',
  );
  if (!file) out.out(r.registrationToken);
}
