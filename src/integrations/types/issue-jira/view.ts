import * as z from 'zod';
import { SecretSet } from '../../../contract/integrations.js';

/** What the API shows of `spec.jira`: the auth kind's secret only as `{ set }`. */
export const JiraView = z.object({
  baseUrl: z.string(),
  auth: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('cloud'), email: z.string(), apiToken: SecretSet }),
    z.object({ kind: z.literal('server'), pat: SecretSet }),
  ]),
  projectPrefixes: z.string().optional(),
  failOnNotFound: z.boolean().optional(),
});
export type JiraView = z.infer<typeof JiraView>;
