import * as z from 'zod';
import { EndpointUrl } from '../../../domain/names.js';
import { GITHUB_API_URL } from '../../github/client.js';
import { defineHandler, dropUndefined } from '../handler.js';
import { type GitHubSpec } from './kind.js';
import { gitGithubDefinition } from './definition.js';

const Token = z.string().trim().min(1, 'must not be empty').max(1024);

/** Create: the token in clear, once. Without `apiUrl`, github.com. */
export const GitHubInput = z.object({ apiUrl: EndpointUrl.optional(), token: Token }).strict();
export type GitHubInput = z.infer<typeof GitHubInput>;

/** Edit: an omitted token keeps the stored one; `apiUrl: null` goes back to github.com. */
export const GitHubPatch = z
  .object({ apiUrl: EndpointUrl.nullable().optional(), token: Token.optional() })
  .strict();
export type GitHubPatch = z.infer<typeof GitHubPatch>;

/** `git.github`: pull requests of a commit, from github.com or GitHub Enterprise Server, with a token. */
export const gitGithub = defineHandler<'git.github', GitHubInput, GitHubPatch, GitHubSpec>(
  gitGithubDefinition,
  {
    createInput: GitHubInput,
    patchInput: GitHubPatch,
    draftInput: GitHubPatch,

    secretsOf(input) {
      return [input.token];
    },

    async merge(cur, patch, unseal) {
      const apiUrl = patch?.apiUrl === null ? undefined : (patch?.apiUrl ?? cur.apiUrl);
      const token = patch?.token ?? (await unseal(cur.token, 'github.token'));
      return dropUndefined({ apiUrl, token });
    },

    async build(input, seal) {
      return { ...(input.apiUrl ? { apiUrl: input.apiUrl } : {}), token: await seal(input.token, 'token') };
    },

    destinations(settings) {
      return { apiUrl: settings.apiUrl ?? GITHUB_API_URL };
    },

    view(section) {
      // The effective URL, so a reader sees which server is asked without knowing the default.
      return { apiUrl: section.apiUrl ?? GITHUB_API_URL, token: { set: true } };
    },

    refusalHints() {
      return [];
    },

    test(input, runtime, executor, onCheck) {
      return executor.testGitHub(runtime, input, onCheck);
    },

    reenterSecretHint(name) {
      return `Enter the token again: imagetrail integration edit ${name} --token-stdin`;
    },
  },
);
