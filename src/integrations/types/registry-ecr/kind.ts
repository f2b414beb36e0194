import * as z from 'zod';
import { SealedValue } from '../../../contract/sealed-value.js';
import {
  AccessKeyId,
  AwsRegion,
  EndpointUrl,
  ExternalId,
  IamRoleArn,
  RoleSessionName,
} from '../../../domain/names.js';
import { compareSemver } from '../../../domain/semver.js';
import type { RuntimeFacts } from '../definition.js';

export const EcrIamRoleAuth = z.object({
  mode: z.literal('iamRole'),
  roleArn: IamRoleArn,
  /** Not a secret (AWS: the external ID guards against the confused deputy), so stored in clear. */
  externalId: ExternalId.optional(),
  sessionName: RoleSessionName.optional(),
  /** Chained sessions are capped at 3600 s by AWS; longer values are refused at input. */
  durationSeconds: z.number().int().min(900).max(3600).optional(),
});

export const EcrAccessKeyAuth = z.object({
  mode: z.literal('accessKey'),
  accessKeyId: AccessKeyId,
  secretAccessKey: SealedValue,
});

export const EcrEndpoints = z
  .object({
    /** ECR control-plane API (DescribeImages, …), e.g. a VPC endpoint. */
    api: EndpointUrl.optional(),
    /** STS, for AssumeRole. */
    sts: EndpointUrl.optional(),
    /** The registry data plane (`/v2/…`), e.g. https://123456789012.dkr.ecr.eu-west-1.amazonaws.com. */
    registry: EndpointUrl.optional(),
  })
  .strict();

/** `spec.ecr` of an Integration of type `registry.ecr`. */
export const EcrSpec = z.object({
  region: AwsRegion,
  auth: z.discriminatedUnion('mode', [EcrIamRoleAuth, EcrAccessKeyAuth]),
  endpoints: EcrEndpoints.optional(),
});
export type EcrSpec = z.infer<typeof EcrSpec>;

// ---- runtime rules (spec rules 2 and 3) ---------------------------------------------------------------

/** Minimum runtime version able to use access-key ECR integrations (from the product spec). */
export const ACCESS_KEY_MIN_RUNTIME_VERSION = '0.1.27';

/**
 * Why a runtime cannot use an ECR integration of this auth mode, or undefined: IAM roles need the
 * runtime's own cloud identity, which hosted runtimes lack; access keys need runtime ≥ 0.1.27. A version
 * that is not semantic is left to the server (which refuses such runtimes when they are added).
 */
export function ecrRuleViolation(mode: string, rt: RuntimeFacts): string | undefined {
  if (mode === 'iamRole' && rt.type === 'hosted') {
    return `IAM role integrations are not supported on hosted runtimes: runtime "${rt.name}" is hosted and has no cloud identity to assume the role from. Use an access key, or share the integration with hybrid runtimes only.`;
  }
  if (mode === 'accessKey' && olderThan(rt.version, ACCESS_KEY_MIN_RUNTIME_VERSION)) {
    return `Access key integrations need runtime version ${ACCESS_KEY_MIN_RUNTIME_VERSION} or higher: runtime "${rt.name}" runs ${rt.version}. Upgrade the runtime, or use an IAM role.`;
  }
  return undefined;
}

function olderThan(version: string, min: string): boolean {
  try {
    return compareSemver(version, min) < 0;
  } catch {
    return false;
  }
}
