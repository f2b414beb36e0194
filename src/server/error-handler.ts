import { randomUUID } from 'node:crypto';
import { issuePath } from '../domain/issue-path.js';
import { isDatabaseUnavailable } from '../store/unavailable.js';
import { DISK_FULL_MESSAGE, isDiskFull, type DiskFullState } from './disk-full.js';
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
// The core class, imported on its own: reaching it through the z namespace (z.core.…) keeps every zod
// locale in the bundle.
import { $ZodError } from 'zod/v4/core';
import { CheckFailedError, isAppError, type ErrorDetail, type ErrorKind } from '../domain/errors.js';
import { ERROR_CODEC, kindForStatus } from '../domain/error-codec.js';
import type { ErrorBody as ErrorBodySchema } from '../contract/errors.js';
import type * as z from 'zod';
import type { Logger } from '../logging/logger.js';
import type { Redactor } from '../logging/redactor.js';

/** The statuses of the error taxonomy (the one codec: src/domain/error-codec.ts). */
export const STATUS_BY_KIND = Object.fromEntries(
  Object.entries(ERROR_CODEC).map(([kind, c]) => [kind, c.status as ContentfulStatusCode]),
) as Readonly<Record<ErrorKind, ContentfulStatusCode>>;

/** Names for statuses that reach us as HTTPException from Hono's own middleware, so bodies look alike. */
function nameOfStatus(status: number): string | undefined {
  const kind = kindForStatus(status);
  return kind === 'internal' ? undefined : ERROR_CODEC[kind].name;
}

/** What the handler sends: the contract's error body, with the id always set. */
export type ErrorBody = z.output<typeof ErrorBodySchema> & { error: { id: string } };

export interface ErrorHandlerDeps {
  logger: Pick<Logger, 'error' | 'warn' | 'info'>;
  redactor: Redactor;
  /** Told about every error, to notice a full disk (which turns /healthz red). */
  diskFull?: Pick<DiskFullState, 'note'>;
}

const GENERIC_MESSAGE =
  'Internal server error. Report the error id to the operator; the server log has the details.';

/** Sent with every 401 (RFC 7235 requires a challenge). */
export const BEARER_CHALLENGE = 'Bearer realm="imagetrail"';

/** Use as `app.onError(errorHandler({ logger, redactor }))`. */
export function errorHandler(deps: ErrorHandlerDeps): ErrorHandler {
  return (err, c) => {
    const id = randomUUID();
    deps.diskFull?.note(err);
    const mapped = mapError(err);
    const where = { errorId: id, method: c.req.method, path: c.req.path, status: mapped.status };

    if (mapped.status === 500) {
      // The full error (redacted by the logger) goes to the log only; the client gets the id.
      deps.logger.error({ ...where, err }, 'request failed');
    } else if (mapped.status >= 500) {
      deps.logger.warn({ ...where, err }, 'request failed: a dependency is not available');
    } else {
      deps.logger.info({ ...where, name: mapped.name, message: mapped.message }, 'request refused');
    }

    const body: ErrorBody = {
      error: {
        name: mapped.name,
        message: mapped.message,
        hints: mapped.hints,
        details: mapped.details,
        id,
      },
    };
    if (err instanceof CheckFailedError && err.result !== undefined) body.result = err.result;

    const headers = new Headers(mapped.headers);
    if (mapped.status === 401 && !headers.has('WWW-Authenticate'))
      headers.set('WWW-Authenticate', BEARER_CHALLENGE);
    return respond(c, deps.redactor.redactValue(body), mapped.status, headers);
  };
}

/** Use as `app.notFound(notFoundHandler)`: an unknown route answers in the same shape as every other error. */
export const notFoundHandler: NotFoundHandler = (c) => {
  const body: ErrorBody = {
    error: {
      name: 'NotFoundError',
      message: `There is no ${c.req.method} ${c.req.path} endpoint.`,
      hints: ['The API lives under /api/v1; check the path and the method.'],
      details: [],
      id: randomUUID(),
    },
  };
  return c.json(body, 404);
};

interface Mapped {
  status: ContentfulStatusCode;
  name: string;
  message: string;
  hints: string[];
  details: ErrorDetail[];
  headers?: Headers;
}

function internal(): Mapped {
  return { status: 500, name: 'InternalError', message: GENERIC_MESSAGE, hints: [], details: [] };
}

export function mapError(err: unknown): Mapped {
  if (isAppError(err)) {
    const status = STATUS_BY_KIND[err.kind] ?? 500;
    // An InternalError's message describes the bug, which is for the log, not the client.
    if (status === 500) return internal();
    return { status, name: err.name, message: err.message, hints: [...err.hints], details: [...err.details] };
  }

  if (err instanceof $ZodError) {
    return {
      status: 400,
      name: 'InputError',
      message: 'The request is not valid.',
      hints: [],
      details: err.issues.map((i) => ({
        ...(i.path.length ? { path: issuePath(i.path) } : {}),
        message: i.message,
      })),
    };
  }

  if (err instanceof HTTPException) {
    if (err.status === 500) return internal();
    // Keep headers Hono's middleware put on its own response (e.g. a WWW-Authenticate challenge).
    const headers = new Headers();
    err.res?.headers.forEach((v, k) => {
      if (!['content-type', 'content-length'].includes(k.toLowerCase())) headers.set(k, v);
    });
    return {
      status: err.status,
      name: nameOfStatus(err.status) ?? 'HTTPError',
      // A 5xx message from middleware is not written for clients; 4xx ones are (e.g. "Malformed JSON").
      message: err.status >= 500 || !err.message ? defaultMessage(err.status) : err.message,
      hints: [],
      details: [],
      headers,
    };
  }

  if (isDiskFull(err)) {
    return {
      status: 503,
      name: 'UnavailableError',
      message: DISK_FULL_MESSAGE,
      hints: ['Check the free space of the data directory (df -h) and of the database server.'],
      details: [],
      headers: new Headers({ 'Retry-After': '30' }),
    };
  }

  if (isDatabaseUnavailable(err)) {
    const headers = new Headers({ 'Retry-After': '5' });
    return {
      status: 503,
      name: 'UnavailableError',
      message: 'The database is not available right now; nothing was changed. Retry shortly.',
      hints: [],
      details: [],
      headers,
    };
  }

  return internal();
}

function defaultMessage(status: number): string {
  return nameOfStatus(status) ? `Request refused (${status}).` : `HTTP ${status}`;
}

function respond(c: Context, body: ErrorBody, status: ContentfulStatusCode, headers: Headers): Response {
  const res = c.json(body, status);
  headers.forEach((v, k) => res.headers.set(k, v));
  return res;
}
