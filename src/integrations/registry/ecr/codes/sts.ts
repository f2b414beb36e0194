import type { CodeTable } from './table.js';

const IRSA_ROLE =
  'The role is the runtime’s own (IRSA: the AWS_ROLE_ARN of its service account, or the role of the web identity token).';

/** Modelled errors of AssumeRole, AssumeRoleWithWebIdentity and GetCallerIdentity (@aws-sdk/client-sts `@throws`). */
export const STS_CODES: CodeTable = {
  ExpiredTokenException: {
    errorClass: 'expired-credentials',
    meaning: 'The credentials or web identity token have expired',
    hints: [],
    via: 'rules',
  },
  RegionDisabledException: {
    errorClass: 'unknown-region',
    meaning: 'STS is not activated in the region for this account',
    hints: [],
    via: 'rules',
  },
  MalformedPolicyDocumentException: {
    errorClass: 'invalid-request',
    meaning: 'STS refused the session policy',
    hints: ['imagetrail sends no session policy; check for an SDK or proxy that adds one.'],
  },
  PackedPolicyTooLargeException: {
    errorClass: 'invalid-request',
    meaning: 'The session policies and tags are too large',
    hints: [
      'imagetrail sends none; shorten session tags passed by the runtime’s identity (transitive tags count too).',
    ],
  },
  InvalidContextAssertionException: {
    errorClass: 'invalid-request',
    meaning: 'STS refused a provided context assertion',
    hints: ['imagetrail sends no ProvidedContexts; check for an SDK configuration that adds one.'],
  },
  IDPRejectedClaimException: {
    errorClass: 'trust-policy',
    meaning: 'The role’s trust policy rejected the web identity token’s claims',
    hints: [
      IRSA_ROLE,
      'Fix the role’s trust policy, not an identity policy: its conditions on the OIDC provider must match the token, e.g. "StringEquals": {"oidc.eks.<region>.amazonaws.com/id/<ID>:sub": "system:serviceaccount:<namespace>:<service account>", "oidc.eks.<region>.amazonaws.com/id/<ID>:aud": "sts.amazonaws.com"} (keys without https://).',
    ],
  },
  InvalidIdentityTokenException: {
    errorClass: 'web-identity',
    meaning: 'STS refused the web identity token',
    hints: [
      IRSA_ROLE,
      'Check that the cluster’s OIDC issuer is registered as an IAM identity provider in the role’s account (IAM → Identity providers), with audience sts.amazonaws.com.',
      'Check that AWS_WEB_IDENTITY_TOKEN_FILE points at the projected service-account token and that the token is not stale.',
    ],
  },
  IDPCommunicationErrorException: {
    errorClass: 'idp-unavailable',
    meaning: 'STS could not reach the identity provider to check the web identity token',
    hints: [
      'Retried with backoff (AWS advises a limited number of retries); if it persists, check that the OIDC issuer URL is reachable from the internet.',
    ],
  },
};
