import {
  AuthenticationError,
  InputError,
  NotAllowedError,
  NotFoundError,
  UnavailableError,
} from '../../domain/errors.js';
import type { Redactor } from '../../logging/redactor.js';
// The peer-HTTP helper is shared with the GitHub client (timeouts, size cap, bounded throttling retry).
import {
  DEFAULT_RETRY,
  DEFAULT_TIMEOUT_MS,
  getWithRetry,
  peerMessage,
  type Fetch,
  type PeerHttpOptions,
  type PeerResponse,
  type RetryPolicy,
} from '../github/http.js';
import type { z } from 'zod';
import { Issue, Myself, SearchResults } from './schema.js';
import { searchUrl } from './search.js';
import { describeIssues } from '../../domain/issue-path.js';

export type JiraAuth =
  /** Jira Cloud: Basic with the Atlassian account email and an API token; REST v3. */
  | { kind: 'cloud'; email: string; apiToken: string }
  /** Jira Server / Data Center: a personal access token as Bearer; REST v2. */
  | { kind: 'server'; pat: string };

export interface JiraClientOptions {
  /** `https://SITE.atlassian.net`, or the Server/DC base URL with its context path (`https://host/jira`). */
  baseUrl: string;
  auth: JiraAuth;
  redactor: Redactor;
  fetch?: Fetch;
  /** Per request, body included. Default 10 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  sleep?: (ms: number) => Promise<void>;
  /** Per-key lookups run at once when a search batch falls back to them. Default 4. */
  concurrency?: number;
  /** Keys per JQL search (`key in (…)`) in `getIssues`. Default 50. */
  batchSize?: number;
}

/** What the dashboard shows for an issue. */
export interface JiraIssue {
  /** As Jira answers it: for an issue moved to another project, the new key. */
  key: string;
  title: string;
  status: { name: string; category: { key: string; name: string } };
  assignee: string | null;
  url: string;
}

export interface JiraIssues {
  issues: JiraIssue[];
  /** Keys Jira does not know, or that the credentials may not see (Jira does not tell the two apart). */
  notFound: string[];
}

const ISSUE_KEY = /^[A-Z][A-Z0-9_]*-\d+$/;

/**
 * Reads issues from one Jira site. One instance per integration (its own base URL and credentials);
 * secrets are registered with the redactor at construction and sent only in the Authorization header.
 */
export class JiraClient {
  readonly baseUrl: string;
  readonly #authorization: string;
  readonly #apiPath: string;
  readonly #http: PeerHttpOptions;
  readonly #redactor: Redactor;
  readonly #concurrency: number;
  readonly #batchSize: number;
  readonly #kind: JiraAuth['kind'];

  constructor(opts: JiraClientOptions) {
    this.#redactor = opts.redactor;
    this.#kind = opts.auth.kind;
    if (opts.auth.kind === 'cloud') {
      const { email, apiToken } = opts.auth;
      opts.redactor.register(apiToken.trim());
      if (!email.trim() || !apiToken.trim())
        throw new InputError('Jira Cloud needs an account email and an API token.');
      const basic = Buffer.from(`${email.trim()}:${apiToken.trim()}`).toString('base64');
      // The header carries base64(email:token), which the redactor's per-secret forms do not cover.
      opts.redactor.register(basic);
      this.#authorization = `Basic ${basic}`;
      this.#apiPath = '/rest/api/3';
    } else {
      opts.redactor.register(opts.auth.pat.trim());
      if (!opts.auth.pat.trim())
        throw new InputError('Jira Server/Data Center needs a personal access token.');
      this.#authorization = `Bearer ${opts.auth.pat.trim()}`;
      this.#apiPath = '/rest/api/2';
    }
    this.baseUrl = normaliseBaseUrl(opts.baseUrl);
    this.#concurrency = Math.max(1, opts.concurrency ?? 4);
    this.#batchSize = Math.min(100, Math.max(1, opts.batchSize ?? 50));
    this.#http = {
      service: 'Jira',
      fetch: opts.fetch ?? globalThis.fetch,
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      retry: { ...DEFAULT_RETRY, ...opts.retry },
      redactor: opts.redactor,
      // Jira Cloud answers 429 (and sometimes 503) with Retry-After; Server/DC rate limiting answers 429.
      throttle: (res) => (res.status === 429 ? { waitMs: undefined } : undefined),
      ...(opts.sleep ? { sleep: opts.sleep } : {}),
    };
  }

  /** Who the credentials act as (`GET …/myself`): proves the base URL, the auth kind and the secret. */
  async myself(): Promise<Myself> {
    const what = 'the account of the credentials';
    const url = new URL(`${this.baseUrl}${this.#apiPath}/myself`);
    const res = await getWithRetry(
      url,
      { accept: 'application/json', authorization: this.#authorization, 'user-agent': 'imagetrail' },
      what,
      this.#http,
    );
    if (res.status === 404) {
      // Every account may read itself, so a 404 means the base URL (or its context path) is wrong.
      throw new NotFoundError(`${url.href} is not a Jira REST endpoint (HTTP 404).`, {
        hints: [
          this.#kind === 'cloud'
            ? 'Use the site URL, https://SITE.atlassian.net.'
            : 'Use the Jira base URL including its context path (https://host/jira), and check the server supports REST v2.',
        ],
      });
    }
    this.#check(res, what);
    return this.#parse(res, Myself, what);
  }

  /** One issue; NotFoundError when Jira does not have it or the credentials may not see it. */
  async getIssue(key: string): Promise<JiraIssue> {
    const k = key.trim().toUpperCase();
    if (!ISSUE_KEY.test(k)) throw new InputError(`"${key}" is not a Jira issue key (like PROJ-123).`);
    const found = await this.#fetchIssue(k);
    if (!found) {
      throw new NotFoundError(
        this.#redactor.redact(
          `Jira (${new URL(this.baseUrl).host}) has no issue ${k}, or the credentials may not see it.`,
        ),
        { hints: [`Check the key, and that the ${this.#who()} can browse the project.`] },
      );
    }
    return found;
  }

  /**
   * Several issues, in the order asked, duplicates once. Keys Jira does not have are returned in
   * `notFound`, or, with `failOnNotFound` (Codefresh's `CF_JIRA_FAIL_ON_NOT_FOUND`), fail the call naming
   * them. Any other failure (credentials, rate limit, timeout) fails the call: it says nothing about keys.
   */
  async getIssues(keys: readonly string[], opts: { failOnNotFound?: boolean } = {}): Promise<JiraIssues> {
    const wanted = [...new Set(keys.map((k) => k.trim().toUpperCase()))];
    const bad = wanted.filter((k) => !ISSUE_KEY.test(k));
    if (bad.length > 0) throw new InputError(`Not Jira issue keys: ${bad.join(', ')}.`);

    // One JQL search per batch, not one GET per key: a report naming thousands of keys must not turn into
    // thousands of calls with the integration's credentials (the caller caps the keys too).
    const byKey = new Map<string, JiraIssue>();
    for (let i = 0; i < wanted.length; i += this.#batchSize) {
      for (const [k, issue] of await this.#searchBatch(wanted.slice(i, i + this.#batchSize)))
        byKey.set(k, issue);
    }
    const results = wanted.map((k) => byKey.get(k));

    const issues: JiraIssue[] = [];
    const notFound: string[] = [];
    const seen = new Set<string>();
    results.forEach((r, i) => {
      if (!r) notFound.push(wanted[i] as string);
      // A moved issue asked for under its old and new key comes back twice under the new one.
      else if (!seen.has(r.key)) {
        seen.add(r.key);
        issues.push(r);
      }
    });
    if (opts.failOnNotFound && notFound.length > 0) {
      throw new NotFoundError(
        `Jira (${new URL(this.baseUrl).host}) has no issue ${notFound.join(', ')}, or the credentials may not see ${notFound.length === 1 ? 'it' : 'them'}.`,
        {
          hints: [
            `Check the key${notFound.length === 1 ? '' : 's'} in the commit message, and that the ${this.#who()} can browse the project.`,
            'To record the image without the missing issues, turn off fail-on-not-found.',
          ],
          details: notFound.map((k) => ({ message: `${k}: not found` })),
        },
      );
    }
    return { issues, notFound };
  }

  /**
   * Issues of one batch by asked key. A moved issue comes back under its new key only, and strict JQL
   * validation answers 400 when a key's project is unknown: those batches fall back to one GET per key.
   */
  async #searchBatch(keys: readonly string[]): Promise<Map<string, JiraIssue>> {
    const what = `issues ${keys.length === 1 ? keys[0] : `${keys[0]} … (${keys.length} keys)`}`;
    const url = searchUrl(this.baseUrl, this.#kind, keys);
    const res = await getWithRetry(
      url,
      { accept: 'application/json', authorization: this.#authorization, 'user-agent': 'imagetrail' },
      what,
      this.#http,
    );
    const out = new Map<string, JiraIssue>();
    const missing = new Set(keys);
    let moved = false;
    if (res.status !== 400) {
      this.#check(res, what);
      for (const issue of this.#parse(res, SearchResults, what).issues) {
        const found = this.#toIssue(issue);
        if (missing.delete(found.key)) out.set(found.key, found);
        else moved = true;
      }
    }
    // Rare: an issue came back under a key not asked for (it was moved), or the query was refused. Only
    // then is each unanswered key of this batch looked up on its own, to know which old key it answers.
    if (res.status !== 400 && !moved) return out;
    const rest = [...missing];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < rest.length) {
        const k = rest[next++] as string;
        const found = await this.#fetchIssue(k);
        if (found) out.set(k, found);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, rest.length) }, worker));
    return out;
  }

  /** The issue, or undefined for 404; throws for everything else. */
  async #fetchIssue(key: string): Promise<JiraIssue | undefined> {
    const what = `issue ${key}`;
    const url = new URL(`${this.baseUrl}${this.#apiPath}/issue/${encodeURIComponent(key)}`);
    url.searchParams.set('fields', 'summary,status,assignee');
    const res = await getWithRetry(
      url,
      { accept: 'application/json', authorization: this.#authorization, 'user-agent': 'imagetrail' },
      what,
      this.#http,
    );
    if (res.status === 404) return undefined;
    this.#check(res, what);
    return this.#toIssue(this.#parse(res, Issue, what));
  }

  #toIssue(issue: Issue): JiraIssue {
    return {
      key: issue.key,
      title: issue.fields.summary,
      status: { name: issue.fields.status.name, category: issue.fields.status.statusCategory },
      assignee: issue.fields.assignee?.displayName ?? null,
      url: `${this.baseUrl}/browse/${issue.key}`,
    };
  }

  #check(res: PeerResponse, what: string): void {
    if (res.status >= 200 && res.status < 300) return;
    const r = this.#redactor;
    const said = peerMessage(res.text);
    const detail = said ? `: ${said}` : '';
    const host = new URL(this.baseUrl).host;
    if (res.status === 401) {
      throw new AuthenticationError(
        r.redact(
          `Jira (${host}) rejected the ${this.#who()}: invalid, expired or revoked (HTTP 401${detail}).`,
        ),
        {
          hints:
            this.#kind === 'cloud'
              ? [
                  'Check the email and create a new API token at https://id.atlassian.com/manage-profile/security/api-tokens.',
                  'A Jira Cloud site needs the cloud auth kind; a Server/DC site needs a personal access token.',
                ]
              : [
                  'Create a new personal access token (Profile → Personal Access Tokens).',
                  'A Jira Server/DC site needs the server auth kind; a Cloud site (*.atlassian.net) needs email + API token.',
                ],
        },
      );
    }
    if (res.status === 403) {
      // Server/DC locks an account behind a CAPTCHA after failed logins and then refuses even valid credentials.
      const captcha = /AUTHENTICATION_DENIED/.test(res.headers.get('x-seraph-loginreason') ?? '');
      throw new NotAllowedError(
        r.redact(`Jira (${host}) refused to show ${what} to the ${this.#who()} (HTTP 403${detail}).`),
        {
          hints: captcha
            ? [
                'Jira requires a CAPTCHA for this account after failed logins: log in once in a browser to clear it.',
              ]
            : ['Give the account the "Browse projects" permission on the project.'],
        },
      );
    }
    throw new UnavailableError(r.redact(`Jira (${host}) answered HTTP ${res.status} for ${what}${detail}.`));
  }

  #parse<S extends z.ZodType>(res: PeerResponse, schema: S, what: string): z.output<S> {
    let json: unknown;
    try {
      json = JSON.parse(res.text);
    } catch (err) {
      throw new UnavailableError(`Jira answered ${what} with something that is not JSON.`, {
        cause: err,
        hints: ['Check that the base URL is the Jira site itself (a login page or proxy answers HTML).'],
      });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new UnavailableError(
        `Jira answered ${what} with an unexpected shape: ${describeIssues(parsed.error.issues, 3)}`,
        { cause: parsed.error },
      );
    }
    return parsed.data;
  }

  #who(): string {
    return this.#kind === 'cloud' ? 'email and API token' : 'personal access token';
  }
}

function normaliseBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InputError(`The Jira base URL "${raw}" is not a URL.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new InputError('The Jira base URL must use https.');
  if (url.username || url.password || url.search || url.hash) {
    throw new InputError('The Jira base URL must not contain credentials, a query or a fragment.');
  }
  return url.href.replace(/\/+$/, '');
}
