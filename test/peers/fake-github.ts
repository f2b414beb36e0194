import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * An in-process stand-in for the GitHub REST API (and GHE's /api/v3): the two endpoints imagetrail reads,
 * with GitHub's payload shapes, auth behaviour and error bodies, on 127.0.0.1:0. It records every request
 * so tests can check where credentials travelled.
 */

export interface RecordedRequest {
  method: string;
  /** Path and query, exactly as received. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface FakeActor {
  name: string;
  email: string;
  date: string;
  /** The GitHub account linked to the email; omitted → `null` like an unlinked email. */
  login?: string;
}

export interface FakeCommit {
  sha: string;
  message: string;
  author: FakeActor;
  committer?: FakeActor;
}

export interface FakePull {
  number: number;
  title: string;
  state: 'open' | 'closed';
  mergedAt?: string | null;
  user?: string;
  head: string;
  base: string;
  /** SHAs of the commits the PR contains. */
  commits: string[];
}

export interface FakeGitHubOptions {
  /** The only token accepted (as `Bearer` or `token`). */
  token: string;
  /** `/api/v3` to look like GitHub Enterprise Server. */
  pathPrefix?: string;
  /** The account `GET /user` answers for the token (default `imagetrail-bot`). */
  login?: string;
  /** Answer `x-oauth-scopes` like a classic token (omitted: like a fine-grained token). */
  scopes?: string[];
  /** Keyed by `owner/repo`. Every repository is private: without a valid token it is a 404, as on GitHub. */
  repos: Record<string, { commits: FakeCommit[]; pulls?: FakePull[] }>;
}

export interface ThrottleOptions {
  /** `secondary`: 429 (or 403) with Retry-After; `primary`: 403 with x-ratelimit-remaining 0 and a reset. */
  kind?: 'secondary' | 'primary';
  status?: 403 | 429;
  retryAfterSeconds?: number;
  /** For `primary`: seconds from now until x-ratelimit-reset. */
  resetInSeconds?: number;
}

export interface FakeGitHub {
  /** The client's `apiUrl`. */
  readonly apiUrl: string;
  readonly requests: RecordedRequest[];
  /** The next `times` requests are throttled. */
  throttle(times: number, opts?: ThrottleOptions): void;
  /** Every answer waits this long before its headers (0: none). */
  delay(ms: number): void;
  stop(): Promise<void>;
}

export interface LoopbackServer {
  readonly origin: string;
  stop(): Promise<void>;
}

/** Serves `handler` on 127.0.0.1:0; `stop` closes the listener and any request still open. */
export async function serveOnLoopback(
  handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>,
): Promise<LoopbackServer> {
  const server = createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('could not read the bound port');
  return {
    origin: `http://127.0.0.1:${addr.port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

const DOCS = 'https://docs.github.com/rest';

export async function startFakeGitHub(opts: FakeGitHubOptions): Promise<FakeGitHub> {
  const prefix = opts.pathPrefix ?? '';
  const requests: RecordedRequest[] = [];
  let throttles: { times: number; opts: ThrottleOptions } = { times: 0, opts: {} };
  let delayMs = 0;
  const timers = new Set<NodeJS.Timeout>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers } });
    if (delayMs > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t);
          resolve();
        }, delayMs);
        timers.add(t);
      });
      if (res.destroyed) return;
    }
    const now = Math.floor(Date.now() / 1000);
    const rate = { 'x-ratelimit-limit': '5000', 'x-ratelimit-used': '1', 'x-ratelimit-resource': 'core' };

    const auth = req.headers.authorization;
    const presented = /^(?:Bearer|token) (.+)$/i.exec(auth ?? '')?.[1];
    if (auth !== undefined && presented !== opts.token) {
      sendJson(res, 401, { message: 'Bad credentials', documentation_url: DOCS, status: '401' });
      return;
    }

    if (throttles.times > 0) {
      throttles.times--;
      const t = throttles.opts;
      if (t.kind === 'primary') {
        sendJson(
          res,
          t.status ?? 403,
          {
            message:
              'API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.',
            documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
            status: String(t.status ?? 403),
          },
          {
            ...rate,
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': String(now + (t.resetInSeconds ?? 1)),
          },
        );
      } else {
        sendJson(
          res,
          t.status ?? 429,
          {
            message:
              'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
            documentation_url:
              'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
            status: String(t.status ?? 429),
          },
          t.retryAfterSeconds === undefined && t.status === 403
            ? {}
            : { 'retry-after': String(t.retryAfterSeconds ?? 1) },
        );
      }
      return;
    }

    const headers = { ...rate, 'x-ratelimit-remaining': '4999', 'x-ratelimit-reset': String(now + 3600) };
    const url = new URL(req.url ?? '/', 'http://fake');
    if (req.method === 'GET' && url.pathname === `${prefix}/user`) {
      if (presented === undefined) {
        sendJson(res, 401, { message: 'Requires authentication', documentation_url: DOCS, status: '401' });
        return;
      }
      const login = opts.login ?? 'imagetrail-bot';
      sendJson(
        res,
        200,
        { ...(account(login) as object), name: 'imagetrail bot' },
        { ...headers, ...(opts.scopes ? { 'x-oauth-scopes': opts.scopes.join(', ') } : {}) },
      );
      return;
    }
    const m = new RegExp(`^${prefix}/repos/([^/]+)/([^/]+)/commits/([^/]+)(/pulls)?$`).exec(url.pathname);
    if (req.method !== 'GET' || !m) {
      sendJson(res, 404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
      return;
    }
    const [, owner, name, ref, pulls] = m as unknown as [string, string, string, string, string | undefined];
    const repo = presented === undefined ? undefined : opts.repos[`${owner}/${name}`];
    if (!repo) {
      sendJson(res, 404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
      return;
    }
    const sha = decodeURIComponent(ref).toLowerCase();
    const commit = repo.commits.find((c) => c.sha.startsWith(sha));
    if (!commit) {
      sendJson(
        res,
        422,
        {
          message: `No commit found for SHA: ${decodeURIComponent(ref)}`,
          documentation_url: 'https://docs.github.com/rest/commits/commits#get-a-commit',
          status: '422',
        },
        headers,
      );
      return;
    }
    const base = `https://github.example/${owner}/${name}`;
    if (pulls) {
      const perPage = Number(url.searchParams.get('per_page') ?? '30');
      const list = (repo.pulls ?? [])
        .filter((p) => p.commits.includes(commit.sha))
        .slice(0, perPage)
        .map((p) => pullPayload(p, owner, name, base));
      sendJson(res, 200, list, headers);
      return;
    }
    sendJson(res, 200, commitPayload(commit, base), headers);
  };

  const server = await serveOnLoopback(handle);
  return {
    apiUrl: server.origin + prefix,
    requests,
    throttle(times, o = {}) {
      throttles = { times, opts: o };
    },
    delay(ms) {
      delayMs = ms;
    },
    async stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await server.stop();
    },
  };
}

function account(login: string | undefined): unknown {
  return login === undefined
    ? null
    : {
        login,
        id: 1,
        node_id: 'MDQ6VXNlcjE=',
        type: 'User',
        site_admin: false,
        html_url: `https://github.example/${login}`,
      };
}

function commitPayload(c: FakeCommit, base: string): unknown {
  const committer = c.committer ?? c.author;
  return {
    sha: c.sha,
    node_id: 'C_kwDOA',
    url: `${base}/commits/${c.sha}`,
    html_url: `${base}/commit/${c.sha}`,
    commit: {
      author: { name: c.author.name, email: c.author.email, date: c.author.date },
      committer: { name: committer.name, email: committer.email, date: committer.date },
      message: c.message,
      tree: { sha: '0'.repeat(40), url: '' },
      comment_count: 0,
      verification: { verified: false, reason: 'unsigned', signature: null, payload: null },
    },
    author: account(c.author.login),
    committer: account(committer.login),
    parents: [],
    stats: { total: 1, additions: 1, deletions: 0 },
    files: [],
  };
}

function pullPayload(p: FakePull, owner: string, name: string, base: string): unknown {
  const merged = p.mergedAt ?? null;
  return {
    url: `${base}/pulls/${p.number}`,
    id: 1000 + p.number,
    number: p.number,
    state: p.state,
    locked: false,
    title: p.title,
    user: account(p.user),
    body: null,
    html_url: `${base}/pull/${p.number}`,
    created_at: '2024-01-01T00:00:00Z',
    updated_at: '2024-01-02T00:00:00Z',
    closed_at: p.state === 'closed' ? (merged ?? '2024-01-02T00:00:00Z') : null,
    merged_at: merged,
    merge_commit_sha: null,
    draft: false,
    head: {
      label: `${owner}:${p.head}`,
      ref: p.head,
      sha: p.commits.at(-1) ?? '',
      repo: { full_name: `${owner}/${name}` },
    },
    base: { label: `${owner}:${p.base}`, ref: p.base, sha: '', repo: { full_name: `${owner}/${name}` } },
    author_association: 'MEMBER',
  };
}
