import type { z } from 'zod';
import {
  AuthenticationError,
  InputError,
  NotAllowedError,
  NotFoundError,
  UnavailableError,
} from '../../domain/errors.js';
import type { Redactor } from '../../logging/redactor.js';
import {
  DEFAULT_RETRY,
  DEFAULT_TIMEOUT_MS,
  getWithRetry,
  peerMessage,
  type Fetch,
  type PeerHttpOptions,
  type PeerResponse,
  type RetryPolicy,
} from './http.js';
import { repoSlug } from './repo-slug.js';
import { Commit, PullRequestList, User, type PullRequest } from './schema.js';
import { describeIssues } from '../../domain/issue-path.js';

export type { Commit, PullRequest } from './schema.js';

/** The account a token acts as. */
export interface GitHubIdentity {
  login: string;
  id: number;
  name: string | null;
  /** Classic tokens only: the scopes GitHub lists in `x-oauth-scopes`; absent for fine-grained tokens. */
  scopes?: string[];
}

export const GITHUB_API_URL = 'https://api.github.com';

export interface GitHubClientOptions {
  /** `https://api.github.com` (default) or, for GitHub Enterprise Server, `https://HOST/api/v3`. */
  apiUrl?: string;
  /** A personal access token (classic or fine-grained), a GitHub App installation token, or `GITHUB_TOKEN`. */
  token: string;
  redactor: Redactor;
  fetch?: Fetch;
  /** Per request, body included. Default 10 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** For tests that observe retry waits. */
  sleep?: (ms: number) => Promise<void>;
}

// Commit SHAs: abbreviated (≥ 7) or full SHA-1 (40) or SHA-256 (64) object names.
const SHA = /^[0-9a-f]{7,64}$/i;
/** One page is enough: a commit is in a handful of PRs; more than 100 is not something to show. */
const PULLS_PAGE_SIZE = 100;

/**
 * Reads commit facts and the pull requests of a commit. One instance per integration (its own API URL and
 * token); the token is registered with the redactor at construction and sent only in a header.
 */
export class GitHubClient {
  readonly apiUrl: string;
  readonly #token: string;
  readonly #http: PeerHttpOptions;
  readonly #redactor: Redactor;

  constructor(opts: GitHubClientOptions) {
    this.#redactor = opts.redactor;
    opts.redactor.register(opts.token.trim());
    if (!opts.token.trim()) throw new InputError('A GitHub token is required.');
    this.#token = opts.token.trim();
    this.apiUrl = normaliseApiUrl(opts.apiUrl ?? GITHUB_API_URL);
    this.#http = {
      service: 'GitHub',
      fetch: opts.fetch ?? globalThis.fetch,
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      retry: { ...DEFAULT_RETRY, ...opts.retry },
      redactor: opts.redactor,
      throttle: githubThrottle,
      ...(opts.sleep ? { sleep: opts.sleep } : {}),
    };
  }

  /** The pull requests that contain `sha` (open, closed and merged), as GitHub lists them. */
  async pullRequestsForCommit(ownerRepo: string, sha: string): Promise<PullRequest[]> {
    const slug = repoSlug(ownerRepo);
    checkSha(sha);
    const what = `the pull requests of commit ${sha} in ${slug}`;
    const res = await this.#get(
      `/repos/${slug}/commits/${encodeURIComponent(sha)}/pulls?per_page=${PULLS_PAGE_SIZE}`,
      what,
    );
    this.#check(res, { slug, sha, what });
    return this.#parse(res, PullRequestList, what);
  }

  /** Message, author, committer and URL of one commit. */
  async getCommit(ownerRepo: string, sha: string): Promise<Commit> {
    const slug = repoSlug(ownerRepo);
    checkSha(sha);
    const what = `commit ${sha} in ${slug}`;
    const res = await this.#get(`/repos/${slug}/commits/${encodeURIComponent(sha)}`, what);
    this.#check(res, { slug, sha, what });
    return this.#parse(res, Commit, what);
  }

  /**
   * The account the token acts as (`GET /user`): the cheapest call that proves the API URL and the token
   * are right, used by the connection test. GitHub App installation tokens cannot call it (403).
   */
  async whoami(): Promise<GitHubIdentity> {
    const what = 'the account of the token';
    const res = await this.#get('/user', what);
    if (res.status === 404) {
      // Any token can read /user, so a 404 means the URL is not the REST API root.
      throw new NotFoundError(`${this.apiUrl}/user is not a GitHub API endpoint (HTTP 404).`, {
        hints: ['Use https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server.'],
      });
    }
    this.#check(res, { slug: '', sha: '', what });
    const user = this.#parse(res, User, what);
    const scopes = res.headers.get('x-oauth-scopes');
    return {
      ...user,
      ...(scopes !== null
        ? {
            scopes: scopes
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
          }
        : {}),
    };
  }

  async #get(path: string, what: string): Promise<PeerResponse> {
    return getWithRetry(
      new URL(this.apiUrl + path),
      {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${this.#token}`,
        'x-github-api-version': '2022-11-28',
        // GitHub rejects requests without a User-Agent.
        'user-agent': 'imagetrail',
      },
      what,
      this.#http,
    );
  }

  /** Turns a non-2xx answer into the typed error that says what to do about it. */
  #check(res: PeerResponse, ctx: { slug: string; sha: string; what: string }): void {
    if (res.status >= 200 && res.status < 300) return;
    const r = this.#redactor;
    const said = peerMessage(res.text);
    const detail = said ? `: ${said}` : '';
    const host = new URL(this.apiUrl).host;
    switch (res.status) {
      case 401:
        throw new AuthenticationError(
          r.redact(
            `GitHub (${host}) rejected the token: it is invalid, expired or revoked (HTTP 401${detail}).`,
          ),
          {
            hints: [
              'Create a new token and update the integration; a fine-grained token needs "Contents: read" and "Pull requests: read" on the repository.',
            ],
          },
        );
      case 403: {
        const sso = res.headers.get('x-github-sso');
        throw new NotAllowedError(
          r.redact(`GitHub (${host}) refused to read ${ctx.what} with this token (HTTP 403${detail}).`),
          {
            hints: sso
              ? [
                  `The organization uses SAML single sign-on: authorize the token for it (${/url=(\S+)/.exec(sso)?.[1] ?? 'Settings → Tokens → Configure SSO'}).`,
                ]
              : [
                  'Give the token read access to the repository\'s contents and pull requests (classic: the "repo" scope for private repositories).',
                ],
          },
        );
      }
      case 404:
        throw new NotFoundError(
          r.redact(
            `GitHub (${host}) has no repository ${ctx.slug}, or the token cannot see it: GitHub answers 404, not 403, for a private repository the token has no access to.`,
          ),
          { hints: [`Check the repository name, and that the token can read ${ctx.slug}.`] },
        );
      case 409:
        // "Git Repository is empty."
        throw new NotFoundError(r.redact(`GitHub has no commit ${ctx.sha} in ${ctx.slug}${detail}.`));
      case 422:
        // "No commit found for SHA: …": the repository exists, the commit does not (never pushed, force-pushed away).
        throw new NotFoundError(r.redact(`GitHub has no commit ${ctx.sha} in ${ctx.slug}${detail}.`), {
          hints: ['Check that the commit was pushed to GitHub and is not from a different repository.'],
        });
      default:
        throw new UnavailableError(
          r.redact(`GitHub (${host}) answered HTTP ${res.status} while reading ${ctx.what}${detail}.`),
        );
    }
  }

  #parse<S extends z.ZodType>(res: PeerResponse, schema: S, what: string): z.output<S> {
    let json: unknown;
    try {
      json = JSON.parse(res.text);
    } catch (err) {
      throw new UnavailableError(`GitHub answered ${what} with something that is not JSON.`, { cause: err });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new UnavailableError(
        `GitHub answered ${what} with an unexpected shape: ${describeIssues(parsed.error.issues, 3)}`,
        {
          cause: parsed.error,
          hints: ['Check that the API URL points at the GitHub REST API (GHE: https://HOST/api/v3).'],
        },
      );
    }
    return parsed.data;
  }
}

/**
 * Primary limit: 403 or 429 with `x-ratelimit-remaining: 0`, wait until `x-ratelimit-reset` (epoch s).
 * Secondary limit: 403 or 429 with `retry-after`. A 429 without either still means slow down.
 */
function githubThrottle(res: PeerResponse, nowMs: number): { waitMs: number | undefined } | undefined {
  if (res.status !== 403 && res.status !== 429) return undefined;
  const retryAfter = res.headers.get('retry-after');
  if (retryAfter !== null) return { waitMs: undefined }; // the shared helper reads Retry-After itself
  if (res.headers.get('x-ratelimit-remaining') === '0') {
    const reset = Number(res.headers.get('x-ratelimit-reset'));
    // A second of slack: the reset is whole seconds and clocks differ a little.
    return {
      waitMs: Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - nowMs) + 1000 : undefined,
    };
  }
  // Some secondary limits come as a bare 403 whose body is the only sign.
  if (res.status === 429 || /secondary rate limit|rate limit exceeded/i.test(res.text))
    return { waitMs: undefined };
  return undefined;
}

function checkSha(sha: string): void {
  if (!SHA.test(sha)) throw new InputError(`"${sha}" is not a commit SHA (7 to 64 hex digits).`);
}

function normaliseApiUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InputError(`The GitHub API URL "${raw}" is not a URL.`, {
      hints: ['Use https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server.'],
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new InputError('The GitHub API URL must use https.');
  if (url.username || url.password || url.search || url.hash) {
    throw new InputError('The GitHub API URL must not contain credentials, a query or a fragment.');
  }
  return url.href.replace(/\/+$/, '');
}
