import { InputError } from '../../domain/errors.js';

// GitHub logins: letters, digits and single hyphens. GHE with SAML/LDAP also makes `user_corp` logins, so
// an underscore is accepted too. Repository names: letters, digits, `.`, `-`, `_`, but not `.` or `..`.
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,99})$/;
const REPO = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * `owner/repo` from what CI hands us: `owner/repo` (GitHub Actions' `github.repository`), an https URL
 * (`https://github.com/owner/repo(.git)`, GHE `https://git.example.com/owner/repo`), an scp-like SSH
 * remote (`git@github.com:owner/repo.git`) or an `ssh://` URL. The host is not checked: which server to ask
 * is the integration's `apiUrl`, not the remote's host.
 */
export function repoSlug(input: string): string {
  const raw = input.trim();
  const path = pathOf(raw);
  const segments = path
    .replace(/^\/+|\/+$/g, '')
    .replace(/\.git$/i, '')
    .split('/');
  const [owner, repo] = segments;
  if (
    segments.length !== 2 ||
    owner === undefined ||
    repo === undefined ||
    !OWNER.test(owner) ||
    !valid(repo)
  ) {
    throw new InputError(`"${input}" is not a GitHub repository: expected owner/repo or a repository URL.`, {
      hints: [
        'Use owner/repo (e.g. octo-org/api), https://github.com/owner/repo or git@github.com:owner/repo.git.',
      ],
    });
  }
  return `${owner}/${repo}`;
}

function valid(repo: string): boolean {
  return REPO.test(repo) && repo !== '.' && repo !== '..';
}

function pathOf(raw: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return '';
    }
    if (!['https:', 'http:', 'ssh:', 'git:'].includes(url.protocol) || url.search || url.hash) return '';
    return decodeURIComponent(url.pathname);
  }
  // scp-like: [user@]host:owner/repo — a colon before any slash.
  const scp = /^(?:[^@/\s]+@)?[^:/\s]+:(?!\/)(.+)$/.exec(raw);
  if (scp?.[1] !== undefined) return scp[1];
  return raw;
}
