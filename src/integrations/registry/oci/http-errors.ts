import {
  AuthenticationError,
  InputError,
  NotAllowedError,
  NotFoundError,
  type AppError,
} from '../../../domain/errors.js';
import type { Redactor } from '../../../logging/redactor.js';
import {
  RegistryConnectionError,
  RegistryServerError,
  RegistryThrottledError,
  RegistryTimeoutError,
  RegistryUnreachableError,
} from './errors.js';
import { RegistryErrorBody } from './schema.js';

// How registry answers and socket failures become the taxonomy's errors (see errors.ts), with messages
// that name the registry, the repository and the reference, and never a credential.

export interface Subject {
  repository?: string;
  reference?: string;
  /** "Manifest", "Blob", "Tags of"… for messages. */
  noun: string;
}

export type TransportFailure = 'timeout' | 'reset' | 'unreachable';

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);
const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

export function classifyTransport(err: unknown): TransportFailure {
  let cur: unknown = err;
  for (let i = 0; i < 6 && cur && typeof cur === 'object'; i++) {
    const e = cur as { name?: unknown; code?: unknown; cause?: unknown };
    if (e.name === 'TimeoutError') return 'timeout';
    if (typeof e.code === 'string') {
      if (UNREACHABLE_CODES.has(e.code)) return 'unreachable';
      if (TIMEOUT_CODES.has(e.code)) return 'timeout';
    }
    cur = e.cause;
  }
  // ECONNRESET, "other side closed", "terminated" mid-body and anything unrecognised: the connection
  // broke, which a fresh attempt may fix.
  return 'reset';
}

export function firstErrorCode(body: Uint8Array): { code?: string; message?: string; json: boolean } {
  if (body.length === 0) return { json: false };
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return { json: false };
  }
  const r = RegistryErrorBody.safeParse(parsed);
  if (!r.success || r.data.errors.length === 0) return { json: true };
  const first = r.data.errors[0];
  return { code: first?.code, message: first?.message, json: true };
}

export function transportError(
  failure: TransportFailure,
  op: { method: string; url: string },
  cause: unknown,
  attempts: number,
  ctx: { host: string; timeoutMs: number },
): AppError {
  const what = `${op.method} ${redactUrl(op.url)}`;
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  switch (failure) {
    case 'timeout':
      return new RegistryTimeoutError(
        `Registry ${ctx.host} did not answer ${what} within ${ctx.timeoutMs} ms${tries}`,
        { cause, hints: ['Check the network path to the registry, or raise the timeout.'] },
      );
    case 'unreachable':
      return new RegistryUnreachableError(`Cannot connect to registry ${ctx.host} (${what})`, {
        cause,
        hints: ['Check the registry endpoint, DNS and firewall rules.'],
      });
    case 'reset':
      return new RegistryConnectionError(
        `The connection to registry ${ctx.host} broke during ${what}${tries}`,
        { cause },
      );
  }
}

export interface HttpErrorContext {
  host: string;
  retries: number;
  anonymous: boolean;
  redactor: Redactor | undefined;
}

export function httpError(
  ex: { status: number; body: Uint8Array },
  subject: Subject,
  ctx: HttpErrorContext,
): AppError {
  const { code, message: registryMessage } = firstErrorCode(ex.body);
  const target = `${subject.noun}${subjectName(subject)} on registry ${ctx.host}`;
  const detail = code ? ` (${code}${registryMessage ? `: ${registryMessage}` : ''})` : ` (HTTP ${ex.status})`;
  const msg = (text: string) => ctx.redactor?.redact(text) ?? text;
  const attempts = ctx.retries + 1;
  if (
    code === 'MANIFEST_UNKNOWN' ||
    code === 'NAME_UNKNOWN' ||
    code === 'BLOB_UNKNOWN' ||
    ex.status === 404
  ) {
    return new NotFoundError(msg(`${target} not found${detail}`));
  }
  if (code === 'UNAUTHORIZED' || ex.status === 401) {
    return new AuthenticationError(
      msg(`Registry ${ctx.host} rejected the credentials for ${target}${detail}`),
      {
        hints: ctx.anonymous
          ? ['The registry needs credentials.']
          : ['Check the credentials of the integration.'],
      },
    );
  }
  if (code === 'DENIED' || ex.status === 403) {
    return new NotAllowedError(msg(`Registry ${ctx.host} denied access to ${target}${detail}`), {
      hints: ['The credentials are valid but lack pull permission on this repository.'],
    });
  }
  if (code === 'TOOMANYREQUESTS' || ex.status === 429) {
    return new RegistryThrottledError(
      msg(`Registry ${ctx.host} throttled ${target}${detail}; gave up after ${attempts} attempts`),
      { hints: ['Retry later; lower the report rate or raise the registry quota.'] },
    );
  }
  if (ex.status >= 500) {
    return new RegistryServerError(
      msg(`Registry ${ctx.host} failed on ${target}${detail} after ${attempts} attempts`),
    );
  }
  return new InputError(msg(`Registry ${ctx.host} rejected the request for ${target}${detail}`));
}

function subjectName(subject: Subject): string {
  if (!subject.repository) return '';
  const ref = subject.reference;
  return ` ${subject.repository}${ref ? (ref.includes(':') ? `@${ref}` : `:${ref}`) : ''}`;
}

/** Pre-signed URLs carry credentials in the query string: never put one in a message. */
function redactUrl(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}${u.search ? '?…' : ''}`;
}
