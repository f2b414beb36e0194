import * as z from 'zod';
import { SecretSet } from '../../../contract/integrations.js';

/** What the API shows of `spec.github`: the effective API URL (github.com's when none was set). */
export const GitHubView = z.object({ apiUrl: z.string(), token: SecretSet });
export type GitHubView = z.infer<typeof GitHubView>;
