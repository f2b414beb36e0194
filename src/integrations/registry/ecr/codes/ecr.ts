import type { CodeTable } from './table.js';

const PARAMETER_HINT =
  'Check the image reference: the repository name (lowercase, 2–256 characters), the tag (at most 300 characters) or digest (sha256:<64 hex>).';

/**
 * Modelled errors of the ECR operations imagetrail calls (DescribeImages, BatchGetImage, GetAuthorizationToken,
 * DescribeImageScanFindings, DescribeRepositories), per the `@throws` of @aws-sdk/client-ecr.
 */
export const ECR_CODES: CodeTable = {
  ServerException: {
    errorClass: 'server-error',
    meaning: 'ECR had an internal error',
    hints: ['A fault on AWS’s side: the report is retried with backoff.'],
  },
  InvalidParameterException: {
    errorClass: 'invalid-request',
    meaning: 'ECR refused a parameter of the request',
    hints: [PARAMETER_HINT],
  },
  ValidationException: {
    errorClass: 'invalid-request',
    meaning: 'ECR refused the request as invalid',
    hints: [PARAMETER_HINT],
  },
  RepositoryNotFoundException: {
    errorClass: 'not-found',
    meaning: 'ECR has no such repository in the registry',
    hints: ['Check the repository name, and that the image host names the right account and region.'],
  },
  ImageNotFoundException: {
    errorClass: 'not-found',
    meaning: 'ECR has no such image',
    hints: ['Check the tag or digest, and that the image was pushed before it was reported.'],
  },
  ScanNotFoundException: {
    errorClass: 'not-found',
    meaning: 'ECR has no scan of the image',
    hints: [
      'Turn on scan on push for the repository, or start a scan (basic scans run at most once a day per image).',
    ],
  },
  LimitExceededException: {
    errorClass: 'throttled',
    meaning: 'An ECR service limit was exceeded',
    // The SDK's retry strategy treats it as throttling, and so does errors.ts.
    via: 'rules',
    hints: ['Retried with backoff; if it persists, ask for a higher quota in Service Quotas (Amazon ECR).'],
  },
  UnableToGetUpstreamImageException: {
    errorClass: 'upstream-unavailable',
    meaning: 'ECR could not get the image from the upstream registry of a pull-through cache rule',
    hints: [
      'Retried with backoff: the upstream registry may be down or rate-limiting.',
      'If it persists, check the pull-through cache rule (upstream URL, the Secrets Manager credential) and that the image exists upstream.',
    ],
  },
};
