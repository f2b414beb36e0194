import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ecr from '@aws-sdk/client-ecr';
import * as sts from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../../../logging/redactor.js';
import { classifyAwsError } from '../errors.js';
import { EcrApiError } from '../images.js';
import {
  API_ERROR_CODES,
  CLASS_RETRY,
  codeEntry,
  COMMON_CODES,
  ECR_CODES,
  IMAGE_FAILURE_CODES,
  imageFailureEntry,
  STS_CODES,
} from './index.js';

// The official AWS models as the installed SDK packages ship them: each command's `@throws {@link X}` list
// (generated from the service model's operation errors) and the exception classes the package exports.
const OPERATIONS = {
  '@aws-sdk/client-ecr': [
    'DescribeImages',
    'BatchGetImage',
    'GetAuthorizationToken',
    'DescribeImageScanFindings',
    'DescribeRepositories',
  ],
  '@aws-sdk/client-sts': ['AssumeRole', 'AssumeRoleWithWebIdentity', 'GetCallerIdentity'],
} as const;
const MODULES: Record<keyof typeof OPERATIONS, Record<string, unknown>> = {
  '@aws-sdk/client-ecr': ecr,
  '@aws-sdk/client-sts': sts,
};

function modelledErrors(pkg: keyof typeof OPERATIONS, op: string): string[] {
  const root = dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
  const dts = readFileSync(join(root, 'dist-types/commands', `${op}Command.d.ts`), 'utf8');
  return [...dts.matchAll(/@throws \{@link (\w+)\}/g)]
    .map((m) => m[1]!)
    .filter((n) => !/ServiceException$/.test(n)); // ECRServiceException / STSServiceException: the base class
}

/** The error the SDK throws for a code: its own class when the package exports one. */
function sdkError(code: string, status = 400): Error {
  const ctor = (MODULES['@aws-sdk/client-ecr'][code] ?? MODULES['@aws-sdk/client-sts'][code]) as
    (new (o: object) => Error) | undefined;
  const opts = { message: `msg of ${code}`, $metadata: { httpStatusCode: status } };
  if (ctor) return new ctor(opts);
  return new ecr.ECRServiceException({ name: code, $fault: status >= 500 ? 'server' : 'client', ...opts });
}

const ctx = () => ({ redactor: new Redactor() });

describe('error code tables against the SDK models', () => {
  for (const [pkg, ops] of Object.entries(OPERATIONS) as Array<
    [keyof typeof OPERATIONS, readonly string[]]
  >) {
    it.each(ops)(`${pkg} %s: every modelled error has an entry under the name the SDK gives it`, (op) => {
      const names = modelledErrors(pkg, op);
      if (op !== 'GetCallerIdentity') expect(names.length, `${op} @throws list`).toBeGreaterThan(0);
      for (const n of names) {
        const ctor = MODULES[pkg][n] as new (o: object) => Error;
        expect(ctor, `${pkg} exports ${n}`).toBeTypeOf('function');
        const name = new ctor({ message: 'm', $metadata: {} }).name;
        expect(API_ERROR_CODES[name], `${op} throws ${name}`).toBeDefined();
      }
    });
  }

  it('has an entry for every ImageFailureCode of BatchGetImage, and no other', () => {
    expect(Object.keys(IMAGE_FAILURE_CODES).sort()).toEqual(Object.values(ecr.ImageFailureCode).sort());
  });

  it('keeps the tables apart: no code in two services', () => {
    const keys = [ECR_CODES, STS_CODES, COMMON_CODES].flatMap((t) => Object.keys(t));
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('classification follows the tables', () => {
  it.each(Object.entries(API_ERROR_CODES))('%s', (code, entry) => {
    const status = entry.errorClass === 'server-error' ? 500 : code === 'OptInRequired' ? 403 : 400;
    const c = classifyAwsError(sdkError(code, status), ctx());
    expect(c.errorClass).toBe(entry.errorClass);
    const retried =
      new EcrApiError(c.errorClass, c.message, c.hints, sdkError(code, status)).kind === 'unavailable';
    expect(retried).toBe(CLASS_RETRY[entry.errorClass] === 'transient');
    if (entry.via !== 'rules') expect(c.hints).toEqual(entry.hints);
  });

  it('finds wire names without the SDK’s Exception suffix and the SDK’s names without the wire’s', () => {
    expect(codeEntry(['IDPRejectedClaim'])?.entry).toBe(STS_CODES['IDPRejectedClaimException']);
    expect(codeEntry(['MissingAuthenticationTokenException'])?.code).toBe(
      'MissingAuthenticationTokenException',
    );
    expect(codeEntry(['NoSuchCode'])).toBeUndefined();
  });

  it('IRSA: a rejected claim points at the role’s OIDC trust conditions, not at an identity policy', () => {
    const c = classifyAwsError(sdkError('IDPRejectedClaimException', 403), {
      ...ctx(),
      action: 'sts:AssumeRoleWithWebIdentity',
    });
    expect(c.errorClass).toBe('trust-policy');
    expect(c.hints.join(' ')).toMatch(/trust policy.*:sub.*system:serviceaccount.*:aud/);
    expect(c.hints.join(' ')).not.toMatch(/managed policy|Attach/);
  });

  it.each([
    ['InvalidIdentityTokenException', 'web-identity', /identity provider/],
    ['IDPCommunicationErrorException', 'idp-unavailable', /Retried/],
  ])('IRSA: %s → %s', (code, cls, hint) => {
    const c = classifyAwsError(sdkError(code), ctx());
    expect(c.errorClass).toBe(cls);
    expect(c.hints.join(' ')).toMatch(hint);
  });

  it.each([
    ['OptInRequired', 'opt-in-required', /opt-in region must be enabled/],
    ['MissingAuthenticationToken', 'missing-credentials', /credentials are set.*|endpoint/],
  ])('a 403 %s is not a missing permission: → %s, no managed policy advised', (code, cls, hint) => {
    const c = classifyAwsError(sdkError(code, 403), { ...ctx(), action: 'ecr:DescribeImages' });
    expect(c.errorClass).toBe(cls);
    expect(c.hints.join(' ')).toMatch(hint);
    expect(c.hints.join(' ')).not.toMatch(/AmazonEC2ContainerRegistry/);
  });

  it('an image failure code newer than this build is final and named', () => {
    expect(imageFailureEntry('SomethingNew')).toMatchObject({
      errorClass: 'unknown',
      meaning: expect.stringContaining('SomethingNew'),
    });
    expect(CLASS_RETRY[imageFailureEntry('SomethingNew').errorClass]).toBe('final');
  });
});

describe('docs/ecr.md', () => {
  it('has a row for every code, with its class and retry decision', () => {
    const doc = readFileSync(new URL('../../../../../docs/ecr.md', import.meta.url), 'utf8');
    for (const [code, entry] of Object.entries({ ...API_ERROR_CODES, ...IMAGE_FAILURE_CODES })) {
      const row = doc.split('\n').find((l) => l.includes(`| \`${code}\``));
      expect(row, code).toBeDefined();
      expect(row).toContain(`\`${entry.errorClass}\``);
      expect(row).toMatch(CLASS_RETRY[entry.errorClass] === 'transient' ? /\| yes +\|/ : /\| no +\|/);
    }
  });
});
