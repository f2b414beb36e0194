import { describe, expect, it } from 'vitest';
import { AuthenticationError, NotFoundError, UnavailableError, UnreachableError } from '../domain/errors.js';
import { Redactor } from '../logging/redactor.js';
import { classifyRemoteFailure, isServerFault, isTransientFailure } from './remote-failure.js';
import { RegistryThrottledError } from './registry/oci/errors.js';

/** Shaped like the AWS SDK's service exceptions. */
const sdkError = (name: string, status: number, fault: 'client' | 'server' = 'client') =>
  Object.assign(new Error(`${name} happened`), {
    name,
    $fault: fault,
    $metadata: { httpStatusCode: status },
  });

describe('classifyRemoteFailure', () => {
  it.each([
    ['unavailable', new UnavailableError('down'), true],
    ['registry throttled', new RegistryThrottledError('429'), true],
    ['unreachable', new UnreachableError('no route'), true],
    ['not found', new NotFoundError('no image'), false],
    ['authentication', new AuthenticationError('bad creds'), false],
  ])('taxonomy errors: retry follows the kind (%s)', (_n, err, retryable) => {
    const c = classifyRemoteFailure(err, new Redactor());
    expect(c).toMatchObject({ retryable, errorClass: err.name, message: err.message });
  });

  it('an errorClass carried by the error wins over its name', () => {
    const err = Object.assign(new UnavailableError('x'), { errorClass: 'throttled' });
    expect(classifyRemoteFailure(err, new Redactor()).errorClass).toBe('throttled');
  });

  it.each([
    ['ThrottlingException', 400, 'client', 'throttled', true],
    ['AccessDeniedException', 400, 'client', 'permission-missing', false],
    ['UnrecognizedClientException', 400, 'client', 'unknown-access-key', false],
    ['InternalFailure', 500, 'server', undefined, true],
  ] as const)(
    'SDK errors go through the AWS classifier (%s)',
    (name, status, fault, errorClass, retryable) => {
      const c = classifyRemoteFailure(sdkError(name, status, fault), new Redactor(), {
        action: 'ecr:DescribeImages',
      });
      expect(c.retryable).toBe(retryable);
      if (errorClass) expect(c.errorClass).toBe(errorClass);
    },
  );

  it('a dropped connection is retryable', () => {
    const err = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(classifyRemoteFailure(err, new Redactor()).retryable).toBe(true);
  });

  it('messages and hints are redacted', () => {
    const redactor = new Redactor();
    redactor.register('sekret-value');
    const err = new UnavailableError('token sekret-value refused', { hints: ['not sekret-value'] });
    const c = classifyRemoteFailure(err, redactor);
    expect(c.message).toBe('token [REDACTED] refused');
    expect(c.hints).toEqual(['not [REDACTED]']);
  });
});

describe('isServerFault / isTransientFailure', () => {
  it('5xx and $fault server are faults on the remote side; 4xx are not', () => {
    expect(isServerFault(sdkError('X', 503, 'server'))).toBe(true);
    expect(isServerFault({ $metadata: { httpStatusCode: 502 } })).toBe(true);
    expect(isServerFault(sdkError('X', 400))).toBe(false);
    expect(isServerFault(null)).toBe(false);
    expect(isTransientFailure('throttled', undefined)).toBe(true);
    expect(isTransientFailure('permission-missing', sdkError('X', 403))).toBe(false);
    expect(isTransientFailure('unknown', sdkError('X', 500, 'server'))).toBe(true);
  });
});
