import { EndpointUrl } from '../../../domain/names.js';
import { filled, type FormSpec, type Values } from '../form-model.js';
import type { GitHubView } from './view.js';

/** `git.github`: pull requests of a commit, from github.com or GitHub Enterprise Server, with a token. */
export const githubForm: FormSpec<GitHubView> = {
  addTitle: 'Add a GitHub integration',
  addLabel: 'Add GitHub integration',
  fields: [
    {
      kind: 'url',
      key: 'apiUrl',
      label: 'API URL (optional)',
      group: 'main',
      path: 'github.apiUrl',
      schema: EndpointUrl,
      placeholder: 'https://api.github.com',
      help: 'Empty for github.com; https://HOST/api/v3 for GitHub Enterprise Server.',
    },
    {
      kind: 'secret',
      key: 'token',
      label: 'Token',
      group: 'auth',
      path: 'github.token',
      help: 'A fine-grained or classic token that can read the repositories’ commits and pull requests.',
    },
  ],
  destinations: { keys: ['apiUrl'], words: 'the API URL' },
  initial: {},

  fromView(github): Values {
    return github ? { apiUrl: github.apiUrl } : {};
  },

  storedSecrets(github) {
    return github?.token.set ? ['token'] : [];
  },

  sectionBody(v, mode) {
    // An empty API URL on an edit goes back to github.com; an empty token keeps the stored one.
    if (mode === 'edit') return { apiUrl: v['apiUrl'] || null, ...filled({ token: v['token'] }) };
    return filled({ apiUrl: v['apiUrl'], token: v['token'] });
  },

  summary(github) {
    return github ? `GitHub (${hostOf(github.apiUrl)})` : 'GitHub';
  },
};

function hostOf(url: string): string {
  return URL.canParse(url) ? new URL(url).host : url;
}
