import { z } from 'zod';

/**
 * Resource names become file and folder names in the shared configuration repository and Argo CD
 * namespaces, so they follow the Kubernetes DNS-1123 label rules: no dots, slashes or `..`, which also
 * rules out path traversal.
 */
export const ResourceName = z
  .string()
  .min(1, 'must not be empty')
  .max(63, 'must be at most 63 characters')
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    'must be lowercase letters, digits and dashes, starting and ending with a letter or digit (e.g. prod-ecr)',
  );
export type ResourceName = z.infer<typeof ResourceName>;

/** AWS region names as the SDK's partitions spell them: us-east-1, eu-central-2, us-gov-west-1, cn-north-1. */
export const AwsRegion = z
  .string()
  .regex(
    /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/,
    'must be an AWS region name such as us-east-1 or eu-west-1',
  );

/**
 * IAM role ARNs: arn:<partition>:iam::<12-digit account>:role/<optional path/><name>.
 * Role names are 1–64 characters of [\w+=,.@-]; paths are /…/ segments of the same characters.
 */
export const IamRoleArn = z
  .string()
  .max(2048)
  .regex(
    /^arn:aws(-cn|-us-gov|-iso|-iso-b|-iso-e|-iso-f|-eusc)?:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/,
    'must be an IAM role ARN such as arn:aws:iam::123456789012:role/imagetrail-ecr',
  );

/** Access key IDs are 16–128 word characters; AWS keys start with AKIA (long-term) or ASIA (temporary). */
export const AccessKeyId = z
  .string()
  .regex(
    /^[A-Z0-9]{16,128}$/,
    'must be an AWS access key ID (16–128 uppercase letters and digits, e.g. AKIA…)',
  );

/** STS limits: ExternalId 2–1224 of [\w+=,.@:/-]; RoleSessionName 2–64 of [\w+=,.@-]. */
export const ExternalId = z
  .string()
  .regex(/^[\w+=,.@:/-]{2,1224}$/, 'must be 2–1224 characters of letters, digits and +=,.@:/-');
export const RoleSessionName = z
  .string()
  .regex(/^[\w+=,.@-]{2,64}$/, 'must be 2–64 characters of letters, digits and +=,.@-');

/** Endpoint overrides: absolute http(s) URLs without credentials, query or fragment. */
export const EndpointUrl = z
  .string()
  .url('must be an absolute URL such as https://api.ecr.eu-west-1.amazonaws.com')
  .refine((s) => /^https?:\/\//.test(s), 'must use http or https')
  .refine((s) => {
    const u = new URL(s);
    return !u.username && !u.password && !u.search && !u.hash;
  }, 'must not contain credentials, a query or a fragment');
