import * as z from 'zod';
import {
  AccessKeyId,
  AwsRegion,
  EndpointUrl,
  ExternalId,
  IamRoleArn,
  RoleSessionName,
} from '../../domain/names.js';
import { API_VERSION, Metadata, SealedValue } from './common.js';
import { GitHubSpec } from './github-spec.js';
import { JiraSpec } from './jira-spec.js';

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

export const EcrSpec = z.object({
  region: AwsRegion,
  auth: z.discriminatedUnion('mode', [EcrIamRoleAuth, EcrAccessKeyAuth]),
  endpoints: EcrEndpoints.optional(),
});
export type EcrSpec = z.infer<typeof EcrSpec>;

const Description = z.string().max(500).optional();

/**
 * `resources/all-runtimes-all-clusters/<name>.yaml` or `resources/runtimes/<runtime>/<name>.yaml`.
 * Where the file lives says whom it is shared with; the content does not repeat it. Each type keeps its
 * settings in a section named after it (`spec.ecr`, `spec.github`, `spec.jira`), so a file says what it is
 * at a glance and a misplaced section is a validation error rather than silently ignored.
 */
export const IntegrationV1alpha1 = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('Integration'),
  metadata: Metadata,
  spec: z.discriminatedUnion('type', [
    z.object({ type: z.literal('registry.ecr'), description: Description, ecr: EcrSpec }),
    z.object({ type: z.literal('git.github'), description: Description, github: GitHubSpec }),
    z.object({ type: z.literal('issue.jira'), description: Description, jira: JiraSpec }),
  ]),
});
export type IntegrationV1alpha1 = z.infer<typeof IntegrationV1alpha1>;
export type IntegrationSpec = IntegrationV1alpha1['spec'];
export type IntegrationType = IntegrationSpec['type'];
/** The spec of one type, narrowed: `SpecOf<'git.github'>['github']`. */
export type SpecOf<T extends IntegrationType> = Extract<IntegrationSpec, { type: T }>;
