import * as z from 'zod';
import { InputError } from '../../../domain/errors.js';
import { AccessKeyId, EndpointUrl, ExternalId, IamRoleArn, RoleSessionName } from '../../../domain/names.js';
import type { EcrConnectionInput } from '../../registry/ecr/index.js';
import { EcrRegion } from '../../registry/ecr/partitions.js';
import { defineHandler, dropUndefined } from '../handler.js';
import { type EcrSpec } from './kind.js';
import { registryEcrDefinition } from './definition.js';

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
    // Refused unless image hosts of the region's partition can be recognized (host.ts).
    region: EcrRegion,
    auth: z.discriminatedUnion('mode', [EcrIamRoleInput, EcrAccessKeyInput], {
      error: 'auth.mode must be "iamRole" or "accessKey"',
    }),
    endpoints: EcrEndpointsInput.optional(),
  })
  .strict();
export type EcrInput = z.infer<typeof EcrInput>;

/**
 * An edit names only what changes. Within `auth`, a mode switch needs the new mode's full settings; the
 * same mode may leave the secret out to keep the stored one.
 */
export const EcrPatch = z
  .object({
    region: EcrRegion.optional(),
    auth: z
      .discriminatedUnion('mode', [
        EcrIamRoleInput.partial({ roleArn: true }),
        EcrAccessKeyInput.partial({ accessKeyId: true, secretAccessKey: true }),
      ])
      .optional(),
    endpoints: EcrEndpointsInput.nullable().optional(),
  })
  .strict();
export type EcrPatch = z.infer<typeof EcrPatch>;

/** A draft is complete settings whose secret may be left out (kept from the stored integration). */
export const EcrDraft = EcrInput.extend({
  auth: z.discriminatedUnion('mode', [EcrIamRoleInput, EcrAccessKeyInput.partial({ secretAccessKey: true })]),
});

/** `registry.ecr`: Amazon ECR by IAM role (assumed from the runtime's identity) or by access key. */
export const registryEcr = defineHandler<'registry.ecr', EcrInput, EcrPatch, EcrSpec>(registryEcrDefinition, {
  createInput: EcrInput,
  patchInput: EcrPatch,
  draftInput: EcrDraft,

  secretsOf(input) {
    return input.auth.mode === 'accessKey' ? [input.auth.secretAccessKey] : [];
  },

  async merge(cur, patch, unseal) {
    const region = patch?.region ?? cur.region;
    const endpoints =
      patch?.endpoints === null
        ? undefined
        : patch?.endpoints !== undefined
          ? patch.endpoints
          : cur.endpoints;
    const p = patch?.auth;
    let auth: EcrInput['auth'];
    if (!p || p.mode === cur.auth.mode) {
      if (cur.auth.mode === 'iamRole') {
        const q = p?.mode === 'iamRole' ? p : undefined;
        auth = dropUndefined({
          mode: 'iamRole' as const,
          roleArn: q?.roleArn ?? cur.auth.roleArn,
          externalId: q && 'externalId' in q ? q.externalId : cur.auth.externalId,
          sessionName: q?.sessionName ?? cur.auth.sessionName,
          durationSeconds: q?.durationSeconds ?? cur.auth.durationSeconds,
        });
      } else {
        const q = p?.mode === 'accessKey' ? p : undefined;
        auth = {
          mode: 'accessKey',
          accessKeyId: q?.accessKeyId ?? cur.auth.accessKeyId,
          secretAccessKey:
            q?.secretAccessKey ?? (await unseal(cur.auth.secretAccessKey, 'ecr.auth.secretAccessKey')),
        };
      }
    } else if (p.mode === 'iamRole') {
      if (!p.roleArn)
        throw missing('ecr.auth.roleArn', 'switching to IAM role mode needs the role ARN (--role-arn)');
      auth = dropUndefined({ ...p, roleArn: p.roleArn });
    } else {
      if (!p.accessKeyId)
        throw missing('ecr.auth.accessKeyId', 'switching to access key mode needs --access-key-id');
      if (!p.secretAccessKey)
        throw missing('ecr.auth.secretAccessKey', 'switching to access key mode needs the secret access key');
      auth = { mode: 'accessKey', accessKeyId: p.accessKeyId, secretAccessKey: p.secretAccessKey };
    }
    return { region, auth, ...(endpoints ? { endpoints } : {}) };
  },

  async build(ecr, seal) {
    const auth: EcrSpec['auth'] =
      ecr.auth.mode === 'accessKey'
        ? {
            mode: 'accessKey',
            accessKeyId: ecr.auth.accessKeyId,
            secretAccessKey: await seal(ecr.auth.secretAccessKey, 'auth.secretAccessKey'),
          }
        : dropUndefined({
            mode: 'iamRole' as const,
            roleArn: ecr.auth.roleArn,
            externalId: ecr.auth.externalId,
            sessionName: ecr.auth.sessionName,
            durationSeconds: ecr.auth.durationSeconds,
          });
    const endpoints =
      ecr.endpoints && Object.keys(dropUndefined(ecr.endpoints)).length > 0
        ? dropUndefined(ecr.endpoints)
        : undefined;
    return { region: ecr.region, auth, ...(endpoints ? { endpoints } : {}) };
  },

  destinations(settings) {
    // The region picks the default AWS endpoints; each override replaces one of them.
    const ep = settings.endpoints ?? {};
    return dropUndefined({
      region: settings.region,
      'endpoints.api': ep.api,
      'endpoints.sts': ep.sts,
      'endpoints.registry': ep.registry,
    }) as Record<string, string>;
  },

  view(e) {
    return dropUndefined({
      region: e.region,
      mode: e.auth.mode,
      roleArn: e.auth.mode === 'iamRole' ? e.auth.roleArn : undefined,
      externalId: e.auth.mode === 'iamRole' ? e.auth.externalId : undefined,
      sessionName: e.auth.mode === 'iamRole' ? e.auth.sessionName : undefined,
      durationSeconds: e.auth.mode === 'iamRole' ? e.auth.durationSeconds : undefined,
      accessKeyId: e.auth.mode === 'accessKey' ? e.auth.accessKeyId : undefined,
      secretAccessKey: e.auth.mode === 'accessKey' ? { set: true } : undefined,
      endpoints: e.endpoints,
    });
  },

  refusalHints(settings) {
    return settings.auth.mode === 'iamRole'
      ? ['Share the integration with hybrid runtimes only, or switch to access-key mode (--access-key-id).']
      : ['Upgrade the runtime to 0.1.27 or later, or use an IAM role (--role-arn).'];
  },

  test(input, runtime, executor, onCheck) {
    return executor.testEcr(runtime, toConnectionInput(input), onCheck);
  },

  reenterSecretHint(name) {
    return `Enter the secret again: imagetrail integration edit ${name} --secret-access-key-stdin`;
  },
});

function toConnectionInput(ecr: EcrInput): EcrConnectionInput {
  return {
    region: ecr.region,
    auth: ecr.auth,
    ...(ecr.endpoints ? { endpoints: dropUndefined(ecr.endpoints) } : {}),
  };
}

function missing(path: string, message: string): InputError {
  return new InputError(message, { details: [{ path, message }] });
}
