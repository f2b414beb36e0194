import * as z from 'zod';
import { SealedValue } from '../../../contract/sealed-value.js';
import { EndpointUrl } from '../../../domain/names.js';

/**
 * `spec.github` of an Integration of type `git.github`. The token is sealed; the API URL is not a secret.
 * Strict, so a misspelt field in a hand-edited file is reported instead of silently ignored.
 */
export const GitHubSpec = z
  .object({
    /** Default https://api.github.com; GitHub Enterprise Server: https://HOST/api/v3. */
    apiUrl: EndpointUrl.optional(),
    token: SealedValue,
  })
  .strict();
export type GitHubSpec = z.infer<typeof GitHubSpec>;
