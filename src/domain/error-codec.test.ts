import { describe, expect, it } from 'vitest';
import { CheckFailedError, InternalError, NotAllowedError, type ErrorKind } from './errors.js';
import { decodeError, ERROR_CODEC, EXIT, kindForName, kindForStatus } from './error-codec.js';

const kinds = Object.keys(ERROR_CODEC) as ErrorKind[];

describe('the error codec', () => {
  it('gives every kind its own status and name, and decodes each back to the same kind', () => {
    expect(new Set(kinds.map((k) => ERROR_CODEC[k].status)).size).toBe(kinds.length);
    expect(new Set(kinds.map((k) => ERROR_CODEC[k].name)).size).toBe(kinds.length);
    for (const k of kinds) {
      expect(kindForStatus(ERROR_CODEC[k].status)).toBe(k);
      expect(kindForName(ERROR_CODEC[k].name)).toBe(k);
      const err = decodeError(ERROR_CODEC[k].status, { message: 'm' });
      expect(err.kind).toBe(k);
      expect(err.name).toBe(ERROR_CODEC[k].name);
    }
  });

  it('keeps the CLI contract: usage 2, server 3, failed 1', () => {
    expect(ERROR_CODEC.input.exit).toBe(EXIT.usage);
    expect(ERROR_CODEC.authentication.exit).toBe(EXIT.server);
    expect(ERROR_CODEC['not-allowed'].exit).toBe(EXIT.server);
    expect(ERROR_CODEC['check-failed'].exit).toBe(EXIT.failed);
    expect(ERROR_CODEC.internal.exit).toBe(EXIT.failed);
  });

  it('prefers the body name to the status, carries hints, details and a check result', () => {
    const err = decodeError(400, {
      name: 'NotAllowedError',
      message: 'no',
      hints: ['ask an admin'],
      details: [{ path: 'spec', message: 'bad' }],
    });
    expect(err).toBeInstanceOf(NotAllowedError);
    expect(err.hints).toEqual(['ask an admin']);
    expect(err.details).toEqual([{ path: 'spec', message: 'bad' }]);
    const failed = decodeError(422, { message: 'did not pass' }, { ok: false });
    expect(failed).toBeInstanceOf(CheckFailedError);
    expect((failed as CheckFailedError).result).toEqual({ ok: false });
  });

  it('treats a status or name outside the taxonomy as internal', () => {
    expect(decodeError(418, { message: 'teapot' })).toBeInstanceOf(InternalError);
    expect(decodeError(418, { name: 'Whatever', message: 'x' })).toBeInstanceOf(InternalError);
  });
});
