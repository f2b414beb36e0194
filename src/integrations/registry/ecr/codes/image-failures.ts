import type { CodeTable } from './table.js';

const BAD_ID = 'Check the image reference: a tag, or a digest of the form sha256:<64 hex digits>.';
const UPSTREAM =
  'The repository is a pull-through cache: ECR fetches the image from the upstream registry on first pull.';

/** `BatchGetImage` per-image `failures[].failureCode` (the ECR model's ImageFailureCode enum). */
export const IMAGE_FAILURE_CODES: CodeTable = {
  ImageNotFound: {
    errorClass: 'not-found',
    meaning: 'ECR has no such image',
    hints: ['Check the tag or digest, and that the image was pushed before it was reported.'],
  },
  InvalidImageDigest: {
    errorClass: 'invalid-request',
    meaning: 'ECR refused the image digest',
    hints: [BAD_ID],
  },
  InvalidImageTag: { errorClass: 'invalid-request', meaning: 'ECR refused the image tag', hints: [BAD_ID] },
  MissingDigestAndTag: {
    errorClass: 'invalid-request',
    meaning: 'The request named neither a tag nor a digest',
    hints: [BAD_ID],
  },
  ImageTagDoesNotMatchDigest: {
    errorClass: 'invalid-request',
    meaning: 'The tag points at another digest than the one asked for',
    hints: [
      'The tag was moved since the reference was written: report the image by tag alone or by its current digest.',
    ],
  },
  ImageReferencedByManifestList: {
    errorClass: 'invalid-request',
    meaning: 'The image is referenced by a manifest list and cannot be returned on its own',
    hints: ['Report the manifest list (index) that references it instead.'],
  },
  ImageInaccessible: {
    errorClass: 'image-inaccessible',
    meaning: 'ECR cannot return the image (for example, it is archived)',
    hints: [
      'An archived image must be restored (ecr:UpdateImageStorageClass to STANDARD) before it can be read.',
    ],
  },
  KmsError: {
    errorClass: 'kms',
    meaning: 'ECR could not use the KMS key the repository is encrypted with',
    hints: [
      'The principal needs kms:Decrypt on the repository’s KMS key (key policy or identity policy), and the key must be enabled.',
    ],
  },
  UpstreamAccessDenied: {
    errorClass: 'upstream-access-denied',
    meaning: 'The upstream registry of a pull-through cache rule refused ECR’s credentials',
    hints: [
      UPSTREAM,
      'Update the upstream credential (the Secrets Manager secret named in the pull-through cache rule) and check it may pull the image.',
    ],
  },
  UpstreamTooManyRequests: {
    errorClass: 'upstream-unavailable',
    meaning: 'The upstream registry of a pull-through cache rule is rate-limiting ECR',
    hints: [
      UPSTREAM,
      'Retried with backoff; an authenticated upstream credential usually has a higher rate limit.',
    ],
  },
  UpstreamUnavailable: {
    errorClass: 'upstream-unavailable',
    meaning: 'The upstream registry of a pull-through cache rule is unavailable',
    hints: [UPSTREAM, 'Retried with backoff.'],
  },
};
