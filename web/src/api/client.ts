import type { z } from 'zod';
import { describeIssue } from '../../../src/domain/issue-path.js';
import { SessionView } from './schemas.js';
import { csrfToken } from './sso.js';
import { ErrorBody, StreamLine, type Check, type ErrorPayload } from './schemas.js';

/**
 * The dashboard's only way to the API: the bearer token from the session, every answer parsed with a
 * zod schema, and failures sorted into what the user can act on.
 */

export type FailureKind =
  | 'unreachable' // no HTTP answer at all (server down, network)
  | 'unauthorized' // 401: the token was refused
  | 'forbidden' // 403: the token lacks a scope
  | 'not-found'
  | 'input' // 400 / 422 with field details
  | 'conflict'
  | 'server' // 5xx
  | 'invalid-response' // an answer the dashboard does not understand
  | 'timeout';

export class ApiError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly status: number | undefined,
    readonly payload?: ErrorPayload,
    readonly result?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
  get hints(): string[] {
    return this.payload?.hints ?? [];
  }
  get details(): ErrorPayload['details'] {
    return this.payload?.details ?? [];
  }
}

const TOKEN_KEY = 'imagetrail.token';
const PRINCIPAL_KEY = 'imagetrail.principal';

/**
 * The token lives in sessionStorage (this tab only, gone when it closes), never in a URL. Next to it, whom
 * the sign-in said it belongs to (name, scopes), so the dashboard can hide what the token may not do; the
 * server still checks every request.
 */
export const session = {
  token(): string | null {
    try {
      return sessionStorage.getItem(TOKEN_KEY);
    } catch {
      return null;
    }
  },
  principal(): SessionView | null {
    try {
      const parsed = SessionView.safeParse(JSON.parse(sessionStorage.getItem(PRINCIPAL_KEY) ?? 'null'));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  },
  set(token: string, principal: SessionView): void {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(PRINCIPAL_KEY, JSON.stringify(principal));
  },
  clear(): void {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(PRINCIPAL_KEY);
  },
};

/** Listeners told when the server refuses the session's token (so the app can go back to sign-in). */
const unauthorizedListeners = new Set<() => void>();
export function onUnauthorized(fn: () => void): () => void {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

function kindOfStatus(status: number): FailureKind {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 409) return 'conflict';
  if (status === 400 || status === 413 || status === 422) return 'input';
  return status >= 500 ? 'server' : 'input';
}

async function errorFromResponse(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = ErrorBody.safeParse(json);
  const kind = kindOfStatus(res.status);
  if (parsed.success) {
    return new ApiError(kind, parsed.data.error.message, res.status, parsed.data.error, parsed.data.result);
  }
  const fallback =
    res.status === 502 || res.status === 503 || res.status === 504
      ? `The server is not available (HTTP ${res.status}).`
      : `The server answered HTTP ${res.status} ${res.statusText}.`;
  return new ApiError(kind, fallback, res.status);
}

function unreachable(err: unknown): ApiError {
  const why = err instanceof Error && err.message ? ` (${err.message})` : '';
  return new ApiError(
    'unreachable',
    `Cannot reach the imagetrail server${why}. Check that it is running and that this page was loaded from it.`,
    undefined,
  );
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  signal?: AbortSignal;
  /** Use this token instead of the session's (sign-in checks a token before keeping it). */
  token?: string;
}

function headersFor(token: string | null, hasBody: boolean, accept: string): Headers {
  const h = new Headers({ Accept: accept });
  if (token) h.set('Authorization', `Bearer ${token}`);
  else {
    // No token: an SSO cookie session, whose changes need the CSRF token (src/server/sso/session-auth.ts).
    const csrf = csrfToken();
    if (csrf) h.set('X-CSRF-Token', csrf);
  }
  if (hasBody) h.set('Content-Type', 'application/json');
  return h;
}

/** Calls the API and parses the answer with `schema`; throws ApiError otherwise. */
export async function request<S extends z.ZodType>(
  path: string,
  schema: S,
  opts: RequestOptions = {},
): Promise<z.output<S>> {
  const token = opts.token ?? session.token();
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method: opts.method ?? 'GET',
      headers: headersFor(token, opts.body !== undefined, 'application/json'),
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      cache: 'no-store',
    });
  } catch (err) {
    if (opts.signal?.aborted) throw new ApiError('timeout', 'The request was cancelled.', undefined);
    throw unreachable(err);
  }
  if (!res.ok) {
    const e = await errorFromResponse(res);
    if (e.kind === 'unauthorized' && opts.token === undefined) for (const fn of unauthorizedListeners) fn();
    throw e;
  }
  let json: unknown;
  try {
    json = await res.json();
  } catch {
    throw new ApiError('invalid-response', 'The server sent an answer that is not JSON.', res.status);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first ? ` (${describeIssue(first)})` : '';
    throw new ApiError(
      'invalid-response',
      `The server's answer does not match what this dashboard expects${where}. Is the dashboard the same version as the server?`,
      res.status,
    );
  }
  return parsed.data;
}

export type StreamEnd =
  | { type: 'result'; result: unknown }
  | { type: 'error'; error: ApiError }
  | { type: 'timeout'; error: ApiError };

export interface StreamOptions {
  method: 'POST' | 'PATCH';
  body: unknown;
  onCheck: (check: Check) => void;
  /** After this long without an end, the client gives up and says so. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Runs a test or mutation with `Accept: application/x-ndjson`: each check is reported as it arrives, and
 * the promise ALWAYS settles with an end: the result, an error (from the server, the network, or a broken
 * stream), or a client-side timeout. It never rejects.
 */
export async function streamChecks(path: string, opts: StreamOptions): Promise<StreamEnd> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, opts.timeoutMs);
  const onOuterAbort = () => controller.abort();
  opts.signal?.addEventListener('abort', onOuterAbort);
  const timeoutEnd = (): StreamEnd => ({
    type: 'timeout',
    error: new ApiError(
      'timeout',
      `No answer after ${Math.round(opts.timeoutMs / 1000)} seconds: the test was stopped here. The server may still be trying; look at its log, then try again.`,
      undefined,
    ),
  });
  // Why the stream ended early, when it was this side that stopped it.
  const stopped = (): StreamEnd | undefined =>
    timedOut ? timeoutEnd() : controller.signal.aborted ? cancelledEnd() : undefined;
  try {
    let res: Response;
    try {
      res = await fetch(`/api/v1${path}`, {
        method: opts.method,
        headers: headersFor(session.token(), true, 'application/x-ndjson'),
        body: JSON.stringify(opts.body),
        signal: controller.signal,
        cache: 'no-store',
      });
    } catch (err) {
      return stopped() ?? { type: 'error', error: unreachable(err) };
    }
    if (!res.ok) {
      const error = await errorFromResponse(res);
      if (error.kind === 'unauthorized') for (const fn of unauthorizedListeners) fn();
      return { type: 'error', error };
    }
    if (!res.body || !(res.headers.get('content-type') ?? '').includes('application/x-ndjson')) {
      return {
        type: 'error',
        error: new ApiError('invalid-response', 'The server did not stream the test.', res.status),
      };
    }
    return await readChecks(res.body, res.status, opts.onCheck, stopped);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onOuterAbort);
  }
}

/** Reads the NDJSON lines of a streamed test until its result, an error line, or the stream's end. */
async function readChecks(
  body: NonNullable<Response['body']>,
  status: number,
  onCheck: StreamOptions['onCheck'],
  stopped: () => StreamEnd | undefined,
): Promise<StreamEnd> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    let chunk: ReadableStreamReadResult<string>;
    try {
      chunk = await reader.read();
    } catch (err) {
      return (
        stopped() ?? {
          type: 'error',
          error: new ApiError(
            'unreachable',
            `The connection to the server broke before the test finished${err instanceof Error ? ` (${err.message})` : ''}.`,
            undefined,
          ),
        }
      );
    }
    if (chunk.value) buffer += chunk.value;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (line === '') continue;
      const end = handleLine(line, onCheck);
      if (end) {
        void reader.cancel().catch(() => undefined);
        return end;
      }
    }
    if (chunk.done) {
      const rest = buffer.trim();
      const end = rest ? handleLine(rest, onCheck) : undefined;
      return (
        end ?? {
          type: 'error',
          error: new ApiError(
            'invalid-response',
            'The server closed the connection before the test finished, without a result.',
            status,
          ),
        }
      );
    }
  }
}

function cancelledEnd(): StreamEnd {
  return {
    type: 'error',
    error: new ApiError(
      'timeout',
      'Cancelled: the dashboard stopped waiting. The server may still finish (a commit may still happen); reload the list to check.',
      undefined,
    ),
  };
}

function handleLine(line: string, onCheck: (c: Check) => void): StreamEnd | undefined {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return {
      type: 'error',
      error: new ApiError('invalid-response', 'The server sent a line that is not JSON.', undefined),
    };
  }
  const parsed = StreamLine.safeParse(json);
  if (!parsed.success) {
    return {
      type: 'error',
      error: new ApiError(
        'invalid-response',
        'The server sent a test line this dashboard does not understand.',
        undefined,
      ),
    };
  }
  const msg = parsed.data;
  switch (msg.type) {
    case 'check':
      onCheck(msg.check);
      return undefined;
    case 'result':
      return { type: 'result', result: msg.result };
    case 'error': {
      const { result, ...payload } = msg.error;
      return {
        type: 'error',
        error: new ApiError(kindOfName(payload.name), payload.message, undefined, payload, result),
      };
    }
  }
}

function kindOfName(name: string): FailureKind {
  switch (name) {
    case 'InputError':
    case 'CheckFailedError':
    case 'PayloadTooLargeError':
      return 'input';
    case 'AuthenticationError':
      return 'unauthorized';
    case 'NotAllowedError':
      return 'forbidden';
    case 'NotFoundError':
      return 'not-found';
    case 'ConflictError':
      return 'conflict';
    default:
      return 'server';
  }
}
