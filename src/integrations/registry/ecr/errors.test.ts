import { ECRServiceException } from '@aws-sdk/client-ecr';
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../../logging/redactor.js';
import {
  classifyAwsError,
  managedPolicyFor,
  NoAmbientCredentialsError,
  policyPrincipalArn,
  READ_ONLY_ACTIONS,
  RegistryHttpError,
  trustPolicyStatement,
  type ClassifyContext,
} from './errors.js';

/** An error shaped like the SDK's service exceptions: name, $fault, $metadata.httpStatusCode. */
function sdkError(
  name: string,
  message: string,
  status: number,
  fault: 'client' | 'server' = 'client',
): Error {
  return new ECRServiceException({ name, message, $fault: fault, $metadata: { httpStatusCode: status } });
}

/** A Node socket error as the SDK rethrows it (code on the error, $metadata attached). */
function socketError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, $metadata: { attempts: 1, totalRetryDelay: 0 } });
}

const ctx = (over: Partial<ClassifyContext> = {}): ClassifyContext => ({ redactor: new Redactor(), ...over });
const ROLE = 'arn:aws:iam::111122223333:role/imagetrail-ecr';

describe('classifyAwsError', () => {
  it.each([
    ['InvalidClientTokenId', 403, 'unknown-access-key'],
    ['UnrecognizedClientException', 400, 'unknown-access-key'],
    ['SignatureDoesNotMatch', 403, 'wrong-secret'],
    ['InvalidSignatureException', 400, 'wrong-secret'],
    ['ExpiredToken', 400, 'expired-credentials'],
    ['ExpiredTokenException', 400, 'expired-credentials'],
    ['RequestExpired', 400, 'expired-credentials'],
    ['ThrottlingException', 400, 'throttled'],
    ['TooManyRequestsException', 400, 'throttled'],
    ['Whatever', 429, 'throttled'],
    ['RequestTimeout', 408, 'timeout'],
    ['RegionDisabledException', 403, 'unknown-region'],
    ['ServerException', 500, 'server-error'],
  ])('%s (HTTP %i) → %s', (name, status, cls) => {
    expect(classifyAwsError(sdkError(name, 'msg', status), ctx()).errorClass).toBe(cls);
  });

  it.each([
    ['ECONNREFUSED', 'endpoint-unreachable'],
    ['ENOTFOUND', 'endpoint-unreachable'],
    ['EAI_AGAIN', 'endpoint-unreachable'],
    ['EHOSTUNREACH', 'endpoint-unreachable'],
    ['ETIMEDOUT', 'timeout'],
  ])('socket %s → %s', (code, cls) => {
    expect(
      classifyAwsError(socketError(code, `connect ${code}`), ctx({ endpoint: 'https://x' })).errorClass,
    ).toBe(cls);
  });

  it('DNS failure for a region the SDK does not list → unknown-region', () => {
    const c = classifyAwsError(
      socketError('ENOTFOUND', 'getaddrinfo ENOTFOUND api.ecr.eu-nowhere-9.amazonaws.com'),
      ctx({ region: 'eu-nowhere-9', regionKnown: false }),
    );
    expect(c.errorClass).toBe('unknown-region');
  });

  it('fetch failures wrap the socket error in cause', () => {
    const err = new TypeError('fetch failed', {
      cause: socketError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'),
    });
    expect(classifyAwsError(err, ctx()).errorClass).toBe('endpoint-unreachable');
  });

  it('SDK request timeout (TimeoutError) and aborts → timeout', () => {
    const t = Object.assign(new Error('Connection timed out after 500 ms'), { name: 'TimeoutError' });
    expect(classifyAwsError(t, ctx()).errorClass).toBe('timeout');
    expect(classifyAwsError(new DOMException('aborted', 'AbortError'), ctx()).errorClass).toBe('timeout');
  });

  it('CredentialsProviderError and NoAmbientCredentialsError → no-ambient-credentials', () => {
    const chain = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });
    expect(classifyAwsError(chain, ctx()).errorClass).toBe('no-ambient-credentials');
    const hosted = new NoAmbientCredentialsError('Runtime shared has no AWS identity');
    const c = classifyAwsError(hosted, ctx());
    expect(c.errorClass).toBe('no-ambient-credentials');
    expect(c.hints.join(' ')).toMatch(/access-key mode/);
  });

  describe('AssumeRole denials', () => {
    const denied = (caller: string): Error =>
      sdkError(
        'AccessDenied',
        `User: ${caller} is not authorized to perform: sts:AssumeRole on resource: ${ROLE}`,
        403,
      );

    it('without external ID → trust-policy, statement names the caller (assumed-role mapped to its role)', () => {
      const caller = 'arn:aws:sts::444455556666:assumed-role/node-role/i-0abc';
      const c = classifyAwsError(denied(caller), ctx({ action: 'sts:AssumeRole', roleArn: ROLE }));
      expect(c.errorClass).toBe('trust-policy');
      expect(c.message).toContain(caller);
      expect(c.message).toContain(ROLE);
      expect(c.hints[0]).toContain(
        '{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/node-role"},"Action":"sts:AssumeRole"}',
      );
      expect(c.hints.join(' ')).toMatch(/identity policy allowing "sts:AssumeRole"/);
    });

    it('with external ID → external-id, both causes named, conditioned statement', () => {
      const c = classifyAwsError(
        denied('arn:aws:iam::444455556666:user/ci'),
        ctx({ action: 'sts:AssumeRole', roleArn: ROLE, externalId: 'ext-123' }),
      );
      expect(c.errorClass).toBe('external-id');
      expect(c.message).toMatch(/external ID/);
      expect(c.message).toMatch(/trust policy/);
      expect(c.hints[0]).toContain('"Condition":{"StringEquals":{"sts:ExternalId":"ext-123"}}');
    });

    it('uses the known caller when the message does not name it', () => {
      const err = sdkError('AccessDenied', 'Not authorized to perform sts:AssumeRole', 403);
      const c = classifyAwsError(
        err,
        ctx({ action: 'sts:AssumeRole', roleArn: ROLE, callerArn: 'arn:aws:iam::1:user/x' }),
      );
      expect(c.hints[0]).toContain('"AWS":"arn:aws:iam::1:user/x"');
    });
  });

  describe('ECR denials', () => {
    it('real ECR: AccessDeniedException HTTP 400, identity-based → permission-missing with action and managed policy', () => {
      const msg =
        'User: arn:aws:sts::111122223333:assumed-role/enrich/s1 is not authorized to perform: ecr:DescribeImages on resource: arn:aws:ecr:eu-west-1:111122223333:repository/app because no identity-based policy allows the ecr:DescribeImages action';
      const c = classifyAwsError(
        sdkError('AccessDeniedException', msg, 400),
        ctx({ action: 'ecr:BatchGetImage' }),
      );
      expect(c).toMatchObject({ errorClass: 'permission-missing', action: 'ecr:DescribeImages' });
      expect(c.message).toContain('no identity-based policy');
      expect(c.message).toContain('AmazonEC2ContainerRegistryReadOnly');
      expect(c.hints.join(' ')).toContain('arn:aws:iam::111122223333:role/enrich');
    });

    it('moto: XML 403 surfaced as a deserialization error with only $metadata → permission-missing on ctx.action', () => {
      const err = Object.assign(new SyntaxError(`Unexpected token '<', "<?xml vers"... is not valid JSON`), {
        $metadata: { httpStatusCode: 403 },
      });
      const c = classifyAwsError(err, ctx({ action: 'ecr:DescribeImageScanFindings' }));
      expect(c).toMatchObject({ errorClass: 'permission-missing', action: 'ecr:DescribeImageScanFindings' });
      expect(c.message).toContain('AmazonEC2ContainerRegistryReadOnly');
    });

    it('moto: AccessDenied 403 with the action in the message', () => {
      const err = sdkError(
        'AccessDenied',
        'User: arn:aws:iam::123456789012:user/noecr is not authorized to perform: ecr:GetAuthorizationToken',
        403,
      );
      const c = classifyAwsError(err, ctx());
      expect(c).toMatchObject({ errorClass: 'permission-missing', action: 'ecr:GetAuthorizationToken' });
      expect(c.hints.join(' ')).toMatch(/no resource-level permissions/);
    });

    it('cross-account: no resource-based policy → repository-policy', () => {
      const msg =
        'User: arn:aws:iam::111122223333:user/ci is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:eu-west-1:999988887777:repository/app because no resource-based policy allows the ecr:BatchGetImage action';
      const c = classifyAwsError(sdkError('AccessDeniedException', msg, 400), ctx());
      expect(c).toMatchObject({ errorClass: 'repository-policy', action: 'ecr:BatchGetImage' });
      expect(c.hints[0]).toContain('"Principal":{"AWS":"arn:aws:iam::111122223333:user/ci"}');
    });

    it('explicit deny says an Allow will not help', () => {
      const msg =
        'User: arn:aws:iam::1:user/ci is not authorized to perform: ecr:DescribeImages with an explicit deny in a service control policy';
      const c = classifyAwsError(sdkError('AccessDeniedException', msg, 400), ctx());
      expect(c.errorClass).toBe('permission-missing');
      expect(c.hints[0]).toMatch(/explicit Deny/);
    });
  });

  it('registry 401 → registry-auth; 429 → throttled', () => {
    expect(classifyAwsError(new RegistryHttpError(401, 'https://r/v2/', 'x'), ctx()).errorClass).toBe(
      'registry-auth',
    );
    expect(classifyAwsError(new RegistryHttpError(429, 'https://r/v2/', 'x'), ctx()).errorClass).toBe(
      'throttled',
    );
    expect(classifyAwsError(new RegistryHttpError(500, 'https://r/v2/', 'x'), ctx()).errorClass).toBe(
      'unknown',
    );
  });

  it('never lets a registered secret through', () => {
    const redactor = new Redactor();
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    redactor.register(secret);
    const c = classifyAwsError(sdkError('ServerException', `boom ${secret}`, 500, 'server'), { redactor });
    expect(c.message).not.toContain(secret);
    expect(c.message).toContain('[REDACTED]');
  });

  it('never throws on odd inputs', () => {
    for (const e of [undefined, null, 'text', 42, {}, { $metadata: {} }]) {
      expect(classifyAwsError(e, ctx()).errorClass).toBe('unknown');
    }
  });
});

describe('helpers', () => {
  it('maps assumed-role session ARNs to role ARNs in every partition', () => {
    expect(policyPrincipalArn('arn:aws-cn:sts::111122223333:assumed-role/r/s')).toBe(
      'arn:aws-cn:iam::111122223333:role/r',
    );
    expect(policyPrincipalArn('arn:aws:iam::111122223333:user/u')).toBe('arn:aws:iam::111122223333:user/u');
  });
  it('prints a trust statement', () => {
    expect(JSON.parse(trustPolicyStatement('arn:aws:iam::1:user/u', 'x1'))).toEqual({
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::1:user/u' },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'sts:ExternalId': 'x1' } },
    });
  });
  it('knows the 12 read-only actions', () => {
    expect(READ_ONLY_ACTIONS).toHaveLength(12);
    for (const a of READ_ONLY_ACTIONS) expect(managedPolicyFor(a)).toBe('AmazonEC2ContainerRegistryReadOnly');
    expect(managedPolicyFor('ecr:PutImage')).toBe('AmazonEC2ContainerRegistryPowerUser');
    expect(managedPolicyFor('ecr:DeleteRepository')).toBe('AmazonEC2ContainerRegistryFullAccess');
  });
});
