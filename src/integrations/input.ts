import { z } from 'zod';
import {
  AccessKeyId,
  AwsRegion,
  EndpointUrl,
  ExternalId,
  IamRoleArn,
  ResourceName,
  RoleSessionName,
} from '../domain/names.js';

/** What a caller sends to create or test an ECR integration: the secret in clear, once, in a body. */
export const EcrIamRoleInput = z
  .object({
    mode: z.literal('iamRole'),
    roleArn: IamRoleArn,
    externalId: ExternalId.optional(),
    sessionName: RoleSessionName.optional(),
    durationSeconds: z
      .number()
      .int()
      .min(900, 'must be at least 900 seconds (an STS limit)')
      .max(3600, 'must be at most 3600 seconds: AWS caps role-chained sessions at one hour')
      .optional(),
  })
  .strict();

export const EcrAccessKeyInput = z
  .object({
    mode: z.literal('accessKey'),
    accessKeyId: AccessKeyId,
    secretAccessKey: z.string().min(1, 'must not be empty').max(1024),
  })
  .strict();

export const EcrEndpointsInput = z
  .object({ api: EndpointUrl.optional(), sts: EndpointUrl.optional(), registry: EndpointUrl.optional() })
  .strict();

export const EcrInput = z
  .object({
    region: AwsRegion,
    auth: z.discriminatedUnion('mode', [EcrIamRoleInput, EcrAccessKeyInput], {
      error: 'auth.mode must be "iamRole" or "accessKey"',
    }),
    endpoints: EcrEndpointsInput.optional(),
  })
  .strict();
export type EcrInput = z.infer<typeof EcrInput>;

export const Sharing = z.union(
  [
    z.object({ allRuntimes: z.literal(true) }).strict(),
    z.object({ runtimes: z.array(ResourceName).min(1, 'name at least one runtime').max(100) }).strict(),
  ],
  { error: 'sharing must be {"allRuntimes": true} or {"runtimes": ["name", …]}' },
);
export type Sharing = z.infer<typeof Sharing>;

export const CreateIntegrationInput = z
  .object({
    name: ResourceName,
    type: z.literal('registry.ecr', { error: 'type must be "registry.ecr" (the only type so far)' }),
    description: z.string().max(500).optional(),
    sharing: Sharing,
    ecr: EcrInput,
    skipTest: z.boolean().default(false),
    /** Run the connection test on this runtime instead of the default one. */
    testRuntime: ResourceName.optional(),
  })
  .strict();
export type CreateIntegrationInput = z.infer<typeof CreateIntegrationInput>;

/**
 * An edit names only what changes. Within `ecr.auth`, a mode switch needs the new mode's full settings;
 * the same mode may leave the secret out to keep the stored one.
 */
export const EditIntegrationInput = z
  .object({
    description: z.string().max(500).nullable().optional(),
    sharing: Sharing.optional(),
    ecr: z
      .object({
        region: AwsRegion.optional(),
        auth: z
          .discriminatedUnion('mode', [
            EcrIamRoleInput.partial({ roleArn: true }),
            EcrAccessKeyInput.partial({ accessKeyId: true, secretAccessKey: true }),
          ])
          .optional(),
        endpoints: EcrEndpointsInput.nullable().optional(),
      })
      .strict()
      .optional(),
    skipTest: z.boolean().default(false),
    testRuntime: ResourceName.optional(),
  })
  .strict();
export type EditIntegrationInput = z.infer<typeof EditIntegrationInput>;

export const TestDraftInput = z
  .object({
    /** With a name, a stored integration's secret fills in a secret the draft leaves out. */
    name: ResourceName.optional(),
    sharing: Sharing.optional(),
    ecr: EcrInput.extend({
      auth: z.discriminatedUnion('mode', [
        EcrIamRoleInput,
        EcrAccessKeyInput.partial({ secretAccessKey: true }),
      ]),
    }),
    runtime: ResourceName.optional(),
  })
  .strict();
export type TestDraftInput = z.infer<typeof TestDraftInput>;

export const DeleteIntegrationInput = z
  .object({ confirm: z.literal('DELETE', { error: 'type DELETE in "confirm" to delete the integration' }) })
  .strict();
