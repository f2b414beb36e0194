import type { AppError } from './errors.js';
import {
  AuthenticationError,
  CheckFailedError,
  ConflictError,
  InputError,
  InternalError,
  NotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  UnavailableError,
  UnreachableError,
  type ErrorDetail,
  type ErrorKind,
} from './errors.js';

/** The CLI contract's exit codes: 0 ok; 1 the thing asked failed; 2 bad usage or input; 3 server unreachable or refusing. */
export const EXIT = { ok: 0, failed: 1, usage: 2, server: 3 } as const;

interface KindCodec {
  /** The HTTP status the server answers with. */
  status: number;
  /** The CLI's exit code. */
  exit: number;
  /** `error.name` in JSON bodies: the class name, so clients and logs agree. */
  name: string;
  /** Builds the error on the client side from a decoded body. */
  make: (message: string, o: ErrorOptions, result: unknown) => AppError;
}
type ErrorOptions = { hints?: string[]; details?: ErrorDetail[] };

/**
 * THE mapping of the error taxonomy to HTTP status, exit code and JSON name, used by the server's error
 * handler, the CLI and the dashboard alike. `Record<ErrorKind, …>` makes a new kind a compile error until it
 * is mapped here.
 */
export const ERROR_CODEC: Readonly<Record<ErrorKind, KindCodec>> = {
  input: { status: 400, exit: EXIT.usage, name: 'InputError', make: (m, o) => new InputError(m, o) },
  authentication: {
    status: 401,
    exit: EXIT.server,
    name: 'AuthenticationError',
    make: (m, o) => new AuthenticationError(m, o),
  },
  'not-allowed': {
    status: 403,
    exit: EXIT.server,
    name: 'NotAllowedError',
    make: (m, o) => new NotAllowedError(m, o),
  },
  'not-found': {
    status: 404,
    exit: EXIT.failed,
    name: 'NotFoundError',
    make: (m, o) => new NotFoundError(m, o),
  },
  conflict: {
    status: 409,
    exit: EXIT.failed,
    name: 'ConflictError',
    make: (m, o) => new ConflictError(m, o),
  },
  'payload-too-large': {
    status: 413,
    exit: EXIT.usage,
    name: 'PayloadTooLargeError',
    make: (m, o) => new PayloadTooLargeError(m, o),
  },
  'check-failed': {
    status: 422,
    exit: EXIT.failed,
    name: 'CheckFailedError',
    make: (m, o, result) => new CheckFailedError(m, result, o),
  },
  internal: {
    status: 500,
    exit: EXIT.failed,
    name: 'InternalError',
    make: (m, o) => new InternalError(m, o),
  },
  // The server could not reach a peer it depends on (Git remote, registry): the upstream failed, not us.
  unreachable: {
    status: 502,
    exit: EXIT.server,
    name: 'UnreachableError',
    make: (m, o) => new UnreachableError(m, o),
  },
  unavailable: {
    status: 503,
    exit: EXIT.failed,
    name: 'UnavailableError',
    make: (m, o) => new UnavailableError(m, o),
  },
};

const KINDS = Object.keys(ERROR_CODEC) as ErrorKind[];

/** The kind an HTTP status stands for (statuses outside the taxonomy are internal errors). */
export function kindForStatus(status: number): ErrorKind {
  return KINDS.find((k) => ERROR_CODEC[k].status === status) ?? 'internal';
}

/** The kind an `error.name` stands for, or undefined for a name outside the taxonomy. */
export function kindForName(name: string): ErrorKind | undefined {
  return KINDS.find((k) => ERROR_CODEC[k].name === name);
}

/** The error a client raises for a refused request: by body name when known, else by status. */
export function decodeError(
  status: number,
  error: { name?: string; message: string; hints?: string[]; details?: ErrorDetail[] },
  result?: unknown,
): AppError {
  const kind = (error.name ? kindForName(error.name) : undefined) ?? kindForStatus(status);
  return ERROR_CODEC[kind].make(
    error.message,
    { hints: error.hints ?? [], details: error.details ?? [] },
    result,
  );
}
