import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../domain/errors.js';

/**
 * Where the shared configuration repository lives. `local` is a working repository we commit into in
 * place; `remote` is cloned into the data directory and pushed to. A bare repository on disk is a
 * remote: nobody edits a bare repo's files, so it needs a clone like any other remote.
 */
export type ConfigRepoLocation =
  { kind: 'local'; path: string } | { kind: 'remote'; url: string; subPath?: string; ref?: string };

export interface ParseLocationOptions {
  /** Base for relative local paths; defaults to `process.cwd()`. */
  cwd?: string;
  /** Injected for tests; the default looks at the file system. */
  isBareRepository?: (absPath: string) => boolean;
}

const CREDENTIAL_HINTS = [
  'Configure a git credential helper (git config --global credential.helper …) or an SSH key, and use the URL without credentials.',
];

/**
 * Parses the `--config-repo` value. Remote values follow the Codefresh form
 * `URL[.git][/sub/path][?ref=branch]`: the sub-path starts after `.git/`, so a sub-path needs the `.git`
 * suffix (without it the whole path is the repository).
 */
export function parseConfigRepoLocation(
  value: string,
  options: ParseLocationOptions = {},
): ConfigRepoLocation {
  const raw = value.trim();
  if (raw === '') throw new InputError('--config-repo must not be empty');
  const isBare = options.isBareRepository ?? isBareRepositoryOnDisk;

  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return parseUrl(raw);
  if (isScpLike(raw)) return parseScpLike(raw);
  return parseLocalPath(raw, options.cwd ?? process.cwd(), isBare);
}

/** Renders a location back to the `--config-repo` form (for logs, status pages and round-trip tests). */
export function formatConfigRepoLocation(loc: ConfigRepoLocation): string {
  if (loc.kind === 'local') return loc.path;
  let out = loc.url;
  if (loc.subPath) out += `/${loc.subPath}`;
  if (loc.ref) out += `?ref=${loc.ref}`;
  return out;
}

/** Replaces `user:password@` (or a bare token as user) in any URLs inside `text`; for error messages. */
export function stripUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1***@');
}

function parseUrl(raw: string): ConfigRepoLocation {
  const { base, ref } = splitQuery(raw);
  let url: URL;
  try {
    url = new URL(base);
  } catch (cause) {
    throw new InputError(`--config-repo is not a valid URL: ${stripUrlCredentials(raw)}`, { cause });
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (!['https', 'http', 'ssh', 'git', 'file'].includes(scheme)) {
    throw new InputError(`--config-repo URL scheme ${scheme}:// is not supported`, {
      hints: ['Use https://, ssh://, git://, file://, an scp-like git@host:org/repo.git or a local path.'],
    });
  }
  // Over http(s) any user part is a secret: GitHub and GitLab accept a token as the user name alone.
  // Over ssh the user name is an account (git@), only a password is a secret.
  if (url.password || ((scheme === 'https' || scheme === 'http') && url.username)) {
    throw new InputError('--config-repo URL must not contain credentials', { hints: CREDENTIAL_HINTS });
  }
  if (url.hash) throw new InputError('--config-repo URL must not contain a #fragment');

  // Split on the raw text rather than url.pathname so the URL is passed to git exactly as the user wrote it.
  const { repo, subPath } = splitSubPath(base);
  return remote(repo, subPath, ref);
}

function isScpLike(raw: string): boolean {
  // git's own rule: a colon before the first slash means [user@]host:path (ssh), not a local path.
  const colon = raw.indexOf(':');
  if (colon <= 0) return false;
  const slash = raw.indexOf('/');
  return slash === -1 || colon < slash;
}

function parseScpLike(raw: string): ConfigRepoLocation {
  const { base, ref } = splitQuery(raw);
  const m = /^(?:([^@:/]+)@)?([^@:/]+):(.+)$/.exec(base);
  if (!m) throw new InputError(`--config-repo is not a valid git address: ${stripUrlCredentials(raw)}`);
  if (m[1]?.includes(':'))
    throw new InputError('--config-repo must not contain credentials', { hints: CREDENTIAL_HINTS });
  const { repo, subPath } = splitSubPath(base);
  return remote(repo, subPath, ref);
}

function parseLocalPath(raw: string, cwd: string, isBare: (p: string) => boolean): ConfigRepoLocation {
  const { base, ref } = splitQuery(raw);
  const abs = path.resolve(cwd, base);
  // A bare repository path may carry a sub-path after `.git/`, like a URL.
  if (isBare(abs)) return remote(abs, undefined, ref);
  const idx = abs.indexOf('.git/');
  if (idx !== -1 && isBare(abs.slice(0, idx + 4))) {
    const { repo, subPath } = splitSubPath(abs);
    return remote(repo, subPath, ref);
  }
  if (ref !== undefined) {
    throw new InputError('?ref= applies to remote or bare repositories only', {
      hints: [
        'A local working repository is used on its checked-out branch; switch branches with git checkout.',
      ],
    });
  }
  return { kind: 'local', path: abs };
}

function remote(url: string, subPath: string | undefined, ref: string | undefined): ConfigRepoLocation {
  const loc: ConfigRepoLocation = { kind: 'remote', url };
  if (subPath !== undefined) loc.subPath = subPath;
  if (ref !== undefined) loc.ref = ref;
  return loc;
}

function splitQuery(raw: string): { base: string; ref?: string } {
  const q = raw.indexOf('?');
  if (q === -1) return { base: raw };
  const base = raw.slice(0, q);
  const params = new URLSearchParams(raw.slice(q + 1));
  const keys = [...new Set(params.keys())];
  const unknown = keys.filter((k) => k !== 'ref');
  if (unknown.length > 0) {
    throw new InputError(
      `--config-repo: unknown query parameter ${unknown.join(', ')} (only ?ref=branch is supported)`,
    );
  }
  if (params.getAll('ref').length !== 1) throw new InputError('--config-repo: ?ref= must be given once');
  const ref = params.get('ref') ?? '';
  return { base, ref: validateRef(ref) };
}

function splitSubPath(base: string): { repo: string; subPath?: string } {
  // The first `.git/` ends the repository part; a trailing `.git` means no sub-path.
  const idx = base.indexOf('.git/');
  if (idx === -1) return { repo: base.replace(/\/+$/, '') || base };
  const repo = base.slice(0, idx + 4);
  const rest = base.slice(idx + 5);
  const subPath = validateSubPath(rest);
  return subPath === '' ? { repo } : { repo, subPath };
}

/** Refs become git arguments; refuse anything git would refuse or could read as an option. */
export function validateRef(ref: string): string {
  const ok =
    ref.length > 0 &&
    ref.length <= 255 &&
    /^[A-Za-z0-9._/-]+$/.test(ref) &&
    !ref.startsWith('-') &&
    !ref.startsWith('/') &&
    !ref.endsWith('/') &&
    !ref.endsWith('.') &&
    !ref.endsWith('.lock') &&
    !ref.includes('..') &&
    !ref.includes('//') &&
    !ref.split('/').some((s) => s.startsWith('.'));
  if (!ok) throw new InputError(`--config-repo: ?ref=${ref} is not a valid branch name`);
  return ref;
}

/** Sub-paths are folders inside the clone: relative, no `..`, no `.git`. Returns '' for none. */
export function validateSubPath(sub: string): string {
  const segments = sub.split('/').filter((s) => s !== '' && s !== '.');
  for (const s of segments) {
    if (s === '..' || s === '.git' || !/^[A-Za-z0-9._@+-]+$/.test(s)) {
      throw new InputError(`--config-repo: sub-path ${sub} is not allowed`, {
        hints: [
          'Use a relative folder path of letters, digits, dots, dashes and underscores, e.g. /gitops/imagetrail.',
        ],
      });
    }
  }
  return segments.join('/');
}

function isBareRepositoryOnDisk(absPath: string): boolean {
  try {
    if (!statSync(absPath).isDirectory()) return false;
    // What `git rev-parse --is-bare-repository` would find, without spawning git at parse time.
    return (
      existsSync(path.join(absPath, 'HEAD')) &&
      existsSync(path.join(absPath, 'objects')) &&
      existsSync(path.join(absPath, 'refs')) &&
      !existsSync(path.join(absPath, '.git'))
    );
  } catch {
    return false;
  }
}

/** Short name used by the server's composition root. */
export const parseLocation = parseConfigRepoLocation;
