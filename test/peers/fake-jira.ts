import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson, serveOnLoopback, type RecordedRequest } from './fake-github.js';

/**
 * An in-process stand-in for Jira's "Get issue": Cloud (REST v3 and v2, Basic email:API-token) or
 * Server/Data Center (REST v2 only, Bearer personal access token), with Jira's payload and error shapes,
 * on 127.0.0.1:0. Records every request.
 */

export type { RecordedRequest } from './fake-github.js';

export interface FakeIssue {
  key: string;
  summary: string;
  status: string;
  statusCategory: 'new' | 'indeterminate' | 'done';
  assignee?: string | null;
  /** Keys the issue had before it was moved; Jira answers them with the current key. */
  formerKeys?: string[];
}

export type FakeJiraOptions =
  | { flavor: 'cloud'; email: string; apiToken: string; issues: FakeIssue[]; contextPath?: string }
  | { flavor: 'server'; pat: string; issues: FakeIssue[]; contextPath?: string };

export interface FakeJira {
  /** The client's `baseUrl` (with the context path, if any). */
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  /** The next `times` requests answer 429 with `Retry-After: retryAfterSeconds`. */
  throttle(times: number, retryAfterSeconds?: number): void;
  /** Every answer waits this long before its headers (0: none). */
  delay(ms: number): void;
  stop(): Promise<void>;
}

const CATEGORY = {
  new: { id: 2, key: 'new', colorName: 'blue-gray', name: 'To Do' },
  indeterminate: { id: 4, key: 'indeterminate', colorName: 'yellow', name: 'In Progress' },
  done: { id: 3, key: 'done', colorName: 'green', name: 'Done' },
} as const;

export async function startFakeJira(opts: FakeJiraOptions): Promise<FakeJira> {
  const ctx = opts.contextPath ?? '';
  const requests: RecordedRequest[] = [];
  let throttle = { times: 0, retryAfter: 1 };
  let delayMs = 0;
  const timers = new Set<NodeJS.Timeout>();
  let origin = '';

  const authorised = (req: IncomingMessage): boolean => {
    const h = req.headers.authorization ?? '';
    if (opts.flavor === 'cloud') {
      return h === `Basic ${Buffer.from(`${opts.email}:${opts.apiToken}`).toString('base64')}`;
    }
    return h === `Bearer ${opts.pat}`;
  };

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
    if (throttle.times > 0) {
      throttle.times--;
      sendJson(
        res,
        429,
        { errorMessages: ['Rate limit exceeded.'], errors: {} },
        { 'retry-after': String(throttle.retryAfter), 'x-ratelimit-reason': 'jira-quota-tenant-based' },
      );
      return;
    }
    if (!authorised(req)) {
      // Both flavours answer a bad credential with 401 on the REST API (not a redirect to the login page).
      sendJson(
        res,
        401,
        {
          errorMessages: ['You are not authenticated. Authentication required to perform this operation.'],
          errors: {},
        },
        {
          'www-authenticate': opts.flavor === 'cloud' ? 'Basic realm="protected-area"' : 'OAuth realm="jira"',
        },
      );
      return;
    }
    const url = new URL(req.url ?? '/', 'http://fake');
    const versions = opts.flavor === 'cloud' ? '[23]' : '2';
    if (req.method === 'GET' && new RegExp(`^${ctx}/rest/api/${versions}/myself$`).test(url.pathname)) {
      sendJson(
        res,
        200,
        opts.flavor === 'cloud'
          ? {
              accountId: '5b10a2844c20165700ede21g',
              emailAddress: opts.email,
              displayName: 'Imagetrail Bot',
              active: true,
            }
          : { name: 'imagetrail', key: 'JIRAUSER10000', displayName: 'Imagetrail Bot', active: true },
      );
      return;
    }
    const search = new RegExp(
      `^${ctx}/rest/api/(${opts.flavor === 'cloud' ? '[23]/search/jql' : '2/search'})$`,
    );
    if (req.method === 'GET' && search.test(url.pathname)) {
      answerSearch(res, url, opts, origin + ctx);
      return;
    }
    const m = new RegExp(`^${ctx}/rest/api/(${versions})/issue/([^/]+)$`).exec(url.pathname);
    if (req.method !== 'GET' || !m) {
      // Jira's own 404 for an unknown REST path is an HTML page; a JSON body is enough for the client.
      sendJson(res, 404, { errorMessages: ['Not found'], errors: {} });
      return;
    }
    const version = m[1] as '2' | '3';
    const asked = decodeURIComponent(m[2] ?? '').toUpperCase();
    const issue = opts.issues.find((i) => i.key === asked || (i.formerKeys ?? []).includes(asked));
    if (!issue) {
      sendJson(res, 404, {
        errorMessages: ['Issue does not exist or you do not have permission to see it.'],
        errors: {},
      });
      return;
    }
    const wanted = url.searchParams.get('fields')?.split(',');
    sendJson(res, 200, issuePayload(issue, origin + ctx, version, opts.flavor, wanted));
  };

  const server = await serveOnLoopback(handle);
  origin = server.origin;
  return {
    baseUrl: server.origin + ctx,
    requests,
    throttle(times, retryAfterSeconds = 1) {
      throttle = { times, retryAfter: retryAfterSeconds };
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

/**
 * JQL search, the `key in (K1, K2, …)` form only (the one imagetrail sends). Cloud: the enhanced search
 * `GET /rest/api/{2|3}/search/jql` (jql, fields, maxResults, nextPageToken; answers `{issues, isLast}`),
 * https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/#api-rest-api-3-search-jql-get.
 * Server/DC: `GET /rest/api/2/search` (jql, fields, maxResults, validateQuery; answers `{startAt,
 * maxResults, total, issues}`), https://docs.atlassian.com/software/jira/docs/api/REST/9.12.0/#api/2/search.
 * Under strict validation (the Server/DC default) a key that does not exist is a 400 naming it; with
 * `validateQuery=warn` (and on Cloud) such keys are left out of the answer. A moved issue matches its old
 * key and is answered under its new one.
 */
function answerSearch(res: ServerResponse, url: URL, opts: FakeJiraOptions, base: string): void {
  const m = /^\s*(?:issue)?key\s+in\s*\(([^)]*)\)\s*$/i.exec(url.searchParams.get('jql') ?? '');
  if (!m) {
    sendJson(res, 400, { errorMessages: ['Error in the JQL Query.'], errors: {} });
    return;
  }
  const asked = (m[1] ?? '')
    .split(',')
    .map((k) => k.trim().replace(/^"|"$/g, '').toUpperCase())
    .filter((k) => k !== '');
  const match = (k: string) => opts.issues.find((i) => i.key === k || (i.formerKeys ?? []).includes(k));
  const unknown = asked.filter((k) => !match(k));
  const strict = opts.flavor === 'server' && (url.searchParams.get('validateQuery') ?? 'strict') === 'strict';
  if (strict && unknown.length > 0) {
    sendJson(res, 400, {
      errorMessages: unknown.map((k) => `An issue with key '${k}' does not exist for field 'key'.`),
      errors: {},
    });
    return;
  }
  const max = Math.min(
    Number(url.searchParams.get('maxResults') ?? 50) || 50,
    opts.flavor === 'cloud' ? 5000 : 1000,
  );
  const found = [...new Set(asked.map(match).filter((i): i is FakeIssue => i !== undefined))];
  const version = /\/api\/3\//.test(url.pathname) ? '3' : '2';
  const wanted = url.searchParams.get('fields')?.split(',');
  const issues = found.slice(0, max).map((i) => issuePayload(i, base, version, opts.flavor, wanted));
  sendJson(
    res,
    200,
    opts.flavor === 'cloud'
      ? { issues, isLast: found.length <= max }
      : {
          startAt: 0,
          maxResults: max,
          total: found.length,
          issues,
          ...(unknown.length > 0
            ? { warningMessages: unknown.map((k) => `The issue key '${k}' for field 'key' is invalid.`) }
            : {}),
        },
  );
}

function issuePayload(
  i: FakeIssue,
  base: string,
  version: '2' | '3',
  flavor: 'cloud' | 'server',
  wanted: string[] | undefined,
): unknown {
  const id = String(10000 + Number(/-(\d+)$/.exec(i.key)?.[1] ?? 0));
  const assignee =
    i.assignee == null
      ? null
      : flavor === 'cloud'
        ? {
            self: `${base}/rest/api/${version}/user?accountId=5b10a2844c20165700ede21g`,
            accountId: '5b10a2844c20165700ede21g',
            avatarUrls: { '48x48': 'https://avatar.example/48.png' },
            displayName: i.assignee,
            active: true,
            timeZone: 'Europe/Berlin',
            accountType: 'atlassian',
          }
        : {
            self: `${base}/rest/api/2/user?username=${encodeURIComponent(i.assignee)}`,
            name: i.assignee.toLowerCase().replace(/\s+/g, '.'),
            key: 'JIRAUSER10100',
            emailAddress: 'someone@example.com',
            avatarUrls: { '48x48': 'https://avatar.example/48.png' },
            displayName: i.assignee,
            active: true,
            timeZone: 'Europe/Berlin',
          };
  const all: Record<string, unknown> = {
    summary: i.summary,
    status: {
      self: `${base}/rest/api/${version}/status/3`,
      description: '',
      iconUrl: `${base}/images/icons/statuses/generic.png`,
      name: i.status,
      id: '3',
      statusCategory: {
        self: `${base}/rest/api/${version}/statuscategory/${CATEGORY[i.statusCategory].id}`,
        ...CATEGORY[i.statusCategory],
      },
    },
    assignee,
    // Rich text: ADF in v3, wiki markup in v2. Only served when asked for, like Jira.
    description: version === '3' ? { type: 'doc', version: 1, content: [] } : 'wiki text',
  };
  const fields = wanted ? Object.fromEntries(Object.entries(all).filter(([k]) => wanted.includes(k))) : all;
  return {
    expand: 'renderedFields,names,schema',
    id,
    self: `${base}/rest/api/${version}/issue/${id}`,
    key: i.key,
    fields,
  };
}
