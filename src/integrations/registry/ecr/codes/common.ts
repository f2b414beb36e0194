import type { CodeTable } from './table.js';

/**
 * Errors any AWS API can return that are not in an operation's model (AWS "Common Errors" page and the JSON
 * protocol's names), plus the throttling codes the SDK's retry strategy knows.
 */
export const COMMON_CODES: CodeTable = {
  AccessDeniedException: {
    errorClass: 'permission-missing',
    meaning: 'Access denied',
    hints: [],
    via: 'rules',
  },
  AccessDenied: { errorClass: 'permission-missing', meaning: 'Access denied', hints: [], via: 'rules' },
  InvalidClientTokenId: {
    errorClass: 'unknown-access-key',
    meaning: 'Unknown access key',
    hints: [],
    via: 'rules',
  },
  UnrecognizedClientException: {
    errorClass: 'unknown-access-key',
    meaning: 'Unknown access key',
    hints: [],
    via: 'rules',
  },
  SignatureDoesNotMatch: { errorClass: 'wrong-secret', meaning: 'Wrong secret', hints: [], via: 'rules' },
  InvalidSignatureException: { errorClass: 'wrong-secret', meaning: 'Wrong secret', hints: [], via: 'rules' },
  ExpiredToken: { errorClass: 'expired-credentials', meaning: 'Expired', hints: [], via: 'rules' },
  RequestExpired: { errorClass: 'expired-credentials', meaning: 'Expired', hints: [], via: 'rules' },
  ThrottlingException: { errorClass: 'throttled', meaning: 'Throttled', hints: [], via: 'rules' },
  Throttling: { errorClass: 'throttled', meaning: 'Throttled', hints: [], via: 'rules' },
  TooManyRequestsException: { errorClass: 'throttled', meaning: 'Throttled', hints: [], via: 'rules' },
  RequestLimitExceeded: { errorClass: 'throttled', meaning: 'Throttled', hints: [], via: 'rules' },
  MissingAuthenticationToken: {
    errorClass: 'missing-credentials',
    meaning:
      'The request reached AWS unsigned (no credentials), or reached an endpoint that is not the AWS API',
    hints: [
      'Check that the integration’s credentials are set (access key ID and secret, or the runtime’s identity in IAM-role mode).',
      'Check the endpoint overrides: --api-endpoint must be the ECR API (https://api.ecr.<region>.amazonaws.com or a VPC endpoint of it), --sts-endpoint the STS API, with no path.',
    ],
  },
  MissingAuthenticationTokenException: {
    errorClass: 'missing-credentials',
    meaning:
      'The request reached AWS unsigned (no credentials), or reached an endpoint that is not the AWS API',
    hints: [
      'Check that the integration’s credentials are set (access key ID and secret, or the runtime’s identity in IAM-role mode).',
      'Check the endpoint overrides: --api-endpoint must be the ECR API, --sts-endpoint the STS API, with no path.',
    ],
  },
  OptInRequired: {
    errorClass: 'opt-in-required',
    meaning: 'The account is not subscribed to the service or has not opted in to the region',
    hints: [
      'An opt-in region must be enabled for the account (Account settings → AWS Regions → Enable), by the account’s administrator; a policy change does not help.',
      'A new account may still be activating: wait, then try again.',
    ],
  },
  IncompleteSignature: {
    errorClass: 'invalid-request',
    meaning: 'The request signature is incomplete',
    hints: [
      'A proxy between the runtime and AWS may be dropping signed headers: check it passes Authorization, X-Amz-Date and X-Amz-Security-Token unchanged.',
    ],
  },
  InternalFailure: {
    errorClass: 'server-error',
    meaning: 'AWS had an internal error',
    hints: ['A fault on AWS’s side: retried with backoff.'],
  },
  ServiceUnavailable: {
    errorClass: 'server-error',
    meaning: 'The AWS service is unavailable',
    hints: ['A fault on AWS’s side: retried with backoff.'],
  },
  ServiceUnavailableException: {
    errorClass: 'server-error',
    meaning: 'The AWS service is unavailable',
    hints: ['A fault on AWS’s side: retried with backoff.'],
  },
  ValidationError: {
    errorClass: 'invalid-request',
    meaning: 'AWS refused the request as invalid',
    hints: ['Check the region, role ARN and session name of the integration.'],
  },
};
