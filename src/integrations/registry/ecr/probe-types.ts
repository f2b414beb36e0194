import type { AwsCredentialIdentityProvider } from '@smithy/types';
import * as z from 'zod';
import { AccessKeyId, AwsRegion } from '../../../domain/names.js';
import { EcrEndpoints, EcrIamRoleAuth } from '../../types/registry-ecr/kind.js';
import type { Redactor } from '../../../logging/redactor.js';
import type { Transport } from '../oci/transport.js';
import type { EcrClientCache } from './clients.js';
import type { AwsErrorClass } from './errors.js';

/** Repository that should not exist: AWS authorizes an action before it looks the repository up. */
export const PROBE_REPOSITORY = 'imagetrail-permission-probe';

/** What to test: an ECR integration's spec with the secret unsealed. */
export const EcrConnectionInput = z.object({
  region: AwsRegion,
  auth: z.discriminatedUnion('mode', [
    EcrIamRoleAuth,
    z.object({ mode: z.literal('accessKey'), accessKeyId: AccessKeyId, secretAccessKey: z.string().min(1) }),
  ]),
  endpoints: EcrEndpoints.optional(),
});
export type EcrConnectionInput = z.infer<typeof EcrConnectionInput>;

export interface EcrProbeContext {
  runtime: { name: string; type: 'hybrid' | 'hosted'; ambient: AwsCredentialIdentityProvider | null };
  clients: EcrClientCache;
  redactor: Redactor;
  requestTimeoutMs?: number;
  maxAttempts?: number;
  /** HTTP to the registry for the `registry` check; default: the registry client's node:http. */
  registryTransport?: Transport;
}

export type EcrCheckName =
  | 'region'
  | 'ambient-identity'
  | 'assume-role'
  | 'identity'
  | 'ecr:GetAuthorizationToken'
  | 'ecr:DescribeRepositories'
  | 'ecr:DescribeImages'
  | 'ecr:BatchGetImage'
  | 'ecr:DescribeImageScanFindings'
  | 'registry';

/** The documented order of the checks; role mode adds the two identity checks of the runtime. */
export function checkOrder(mode: 'iamRole' | 'accessKey'): EcrCheckName[] {
  return [
    'region',
    ...(mode === 'iamRole' ? (['ambient-identity', 'assume-role'] as const) : []),
    'identity',
    'ecr:GetAuthorizationToken',
    'ecr:DescribeRepositories',
    'ecr:DescribeImages',
    'ecr:BatchGetImage',
    'ecr:DescribeImageScanFindings',
    'registry',
  ];
}

export interface EcrCheck {
  name: EcrCheckName;
  ok: boolean;
  message: string;
  errorClass?: AwsErrorClass;
  hints?: string[];
  /** IAM action the check exercised. */
  action?: string;
  durationMs: number;
  /** Not run: an earlier check it depends on failed (ok=false), or it does not apply (ok=true). */
  skipped?: boolean;
}

/** Name used by the service and server layers for one streamed check. */
export type ProbeCheck = EcrCheck;

export interface EcrCallerIdentity {
  arn: string;
  account: string;
  userId: string;
}

export interface EcrTestResult {
  ok: boolean;
  runtime: { name: string; type: 'hybrid' | 'hosted' };
  checks: EcrCheck[];
  identity?: EcrCallerIdentity;
}

export interface EcrProbeOptions {
  /** Called as each check finishes (streamed to the dashboard); concurrent checks finish in any order. */
  onCheck?: (check: EcrCheck) => void;
}
