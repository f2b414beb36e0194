import * as z from 'zod';
import { SecretSet } from '../../../contract/integrations.js';

/** What the API shows of `spec.ecr`: the auth settings flattened, the secret only as `{ set }`. */
export const EcrView = z.object({
  region: z.string(),
  mode: z.enum(['iamRole', 'accessKey']),
  roleArn: z.string().optional(),
  externalId: z.string().optional(),
  sessionName: z.string().optional(),
  durationSeconds: z.number().optional(),
  accessKeyId: z.string().optional(),
  secretAccessKey: SecretSet.optional(),
  endpoints: z
    .object({ api: z.string().optional(), sts: z.string().optional(), registry: z.string().optional() })
    .optional(),
});
export type EcrView = z.infer<typeof EcrView>;
