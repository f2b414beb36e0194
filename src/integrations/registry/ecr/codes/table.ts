/**
 * Every AWS error code imagetrail can meet on its ECR/STS calls, with a class, a retry decision and advice.
 * The tables are split by service (ecr.ts, sts.ts, common.ts, image-failures.ts); `codes.test.ts` checks them
 * against the error classes and enums the installed SDK packages ship, so a new code fails the build.
 */
export type AwsErrorClass =
  | 'unknown-access-key'
  | 'wrong-secret'
  | 'expired-credentials'
  | 'no-ambient-credentials'
  | 'missing-credentials'
  | 'trust-policy'
  | 'web-identity'
  | 'external-id'
  | 'permission-missing'
  | 'repository-policy'
  | 'kms'
  | 'upstream-access-denied'
  | 'opt-in-required'
  | 'unknown-region'
  | 'invalid-request'
  | 'not-found'
  | 'image-inaccessible'
  | 'endpoint-unreachable'
  | 'timeout'
  | 'throttled'
  | 'server-error'
  | 'upstream-unavailable'
  | 'idp-unavailable'
  | 'registry-auth'
  | 'unknown';

/** Whether a class of failure may go away by itself (retry with backoff) or needs someone to fix something. */
export const CLASS_RETRY: Readonly<Record<AwsErrorClass, 'transient' | 'final'>> = {
  'unknown-access-key': 'final',
  'wrong-secret': 'final',
  'expired-credentials': 'final',
  'no-ambient-credentials': 'final',
  'missing-credentials': 'final',
  'trust-policy': 'final',
  'web-identity': 'final',
  'external-id': 'final',
  'permission-missing': 'final',
  'repository-policy': 'final',
  kms: 'final',
  'upstream-access-denied': 'final',
  'opt-in-required': 'final',
  'unknown-region': 'final',
  'invalid-request': 'final',
  'not-found': 'final',
  'image-inaccessible': 'final',
  'endpoint-unreachable': 'transient',
  timeout: 'transient',
  throttled: 'transient',
  'server-error': 'transient',
  'upstream-unavailable': 'transient',
  'idp-unavailable': 'transient',
  'registry-auth': 'final',
  unknown: 'final',
};

export function isTransientClass(errorClass: string): boolean {
  return CLASS_RETRY[errorClass as AwsErrorClass] === 'transient';
}

export interface CodeEntry {
  errorClass: AwsErrorClass;
  /** What the code means, first words of the message. */
  meaning: string;
  hints: readonly string[];
  /**
   * `rules`: errors.ts classifies it with more context (the caller's ARN, the policy statement to add);
   * the entry still says which class that yields, and the test holds the rules to it.
   */
  via?: 'rules';
}

export type CodeTable = Readonly<Record<string, CodeEntry>>;
