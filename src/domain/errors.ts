/**
 * The one error taxonomy of imagetrail. Domain and adapter code throws these; the HTTP edge maps them to
 * status codes in `server/error-handler.ts` and the CLI maps them to exit codes in `cli/exit-codes.ts`.
 * Nothing else decides a status or an exit code.
 */

export interface ErrorDetail {
  /** Dot path of the offending field, e.g. `spec.roleArn`, when the error is about one field. */
  path?: string;
  message: string;
}

export abstract class AppError extends Error {
  abstract readonly kind: ErrorKind;
  /** Concrete things the user can do about it, printed as "Try this:" by the CLI. */
  readonly hints: string[];
  readonly details: ErrorDetail[];

  constructor(message: string, options: { cause?: unknown; hints?: string[]; details?: ErrorDetail[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hints = options.hints ?? [];
    this.details = options.details ?? [];
  }
}

export type ErrorKind =
  | 'input'
  | 'not-found'
  | 'conflict'
  | 'authentication'
  | 'not-allowed'
  | 'check-failed'
  | 'unavailable'
  | 'payload-too-large'
  | 'unreachable'
  | 'internal';

/** The request or command is malformed or breaks a rule; fixing the input fixes it. */
export class InputError extends AppError {
  readonly kind = 'input';
}

export class NotFoundError extends AppError {
  readonly kind = 'not-found';
}

/** The target changed underneath, or already exists. */
export class ConflictError extends AppError {
  readonly kind = 'conflict';
}

/** No credentials, or credentials that are not valid. */
export class AuthenticationError extends AppError {
  readonly kind = 'authentication';
}

/** Valid credentials without the right scope. */
export class NotAllowedError extends AppError {
  readonly kind = 'not-allowed';
}

/**
 * The thing asked for ran and failed on its own terms: a connection test that did not pass, an image the
 * registry does not have. Carries a machine-readable result for `--json` and the API.
 */
export class CheckFailedError extends AppError {
  readonly kind = 'check-failed';
  readonly result: unknown;
  constructor(
    message: string,
    result: unknown,
    options: { cause?: unknown; hints?: string[]; details?: ErrorDetail[] } = {},
  ) {
    super(message, options);
    this.result = result;
  }
}

/** A dependency (Git remote, database, registry) cannot be reached right now; retrying later may work. */
export class UnavailableError extends AppError {
  readonly kind = 'unavailable';
}

export class PayloadTooLargeError extends AppError {
  readonly kind = 'payload-too-large';
}

/** A client could not reach a server at all (the CLI and its API; the server and a peer). */
export class UnreachableError extends AppError {
  readonly kind = 'unreachable';
}

/** A bug: an invariant broke. Reported with an id, never with its stack to the client. */
export class InternalError extends AppError {
  readonly kind = 'internal';
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** Joins the messages of a cause chain, for logs and `Caused by:` lines. */
export function causeChain(err: unknown): string[] {
  const out: string[] = [];
  let cur: unknown = err;
  for (let i = 0; i < 8 && cur; i++) {
    if (cur instanceof Error) {
      out.push(cur.message);
      cur = cur.cause;
    } else {
      out.push(typeof cur === 'string' ? cur : JSON.stringify(cur));
      break;
    }
  }
  return out;
}
