import * as z from 'zod';
import { SealedValue } from '../../../contract/sealed-value.js';
import { EndpointUrl } from '../../../domain/names.js';
import { defineIntegrationType } from '../definition.js';

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

/** `git.github`: pull requests of a commit, from github.com or GitHub Enterprise Server, with a token. */
export const gitGithubKind = defineIntegrationType({
  type: 'git.github',
  section: 'github',
  title: 'GitHub',
  summary: 'Pull requests of a commit, from github.com or GitHub Enterprise Server, with a token.',
  spec: GitHubSpec,
  endpoints: [{ path: 'apiUrl' }],
  mode: { fixed: 'token' },
  // HTTPS with a token: nothing a runtime kind or version could lack.
  runtimeRule: () => undefined,
  availabilityText: 'Every runtime.',
});
