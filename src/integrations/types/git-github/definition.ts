import { defineIntegrationType } from '../definition.js';
import { githubFlags } from './flags.js';
import { githubForm } from './form.js';
import { GitHubSpec } from './kind.js';
import { GitHubView } from './view.js';

/** `git.github`: pull requests of a commit, from github.com or GitHub Enterprise Server, with a token. */
export const gitGithubDefinition = defineIntegrationType({
  type: 'git.github',
  section: 'github',
  title: 'GitHub',
  summary: 'Pull requests of a commit, from github.com or GitHub Enterprise Server, with a token.',
  spec: GitHubSpec,
  view: GitHubView,
  endpoints: [{ path: 'apiUrl' }],
  mode: { fixed: 'token' },
  // HTTPS with a token: nothing a runtime kind or version could lack.
  runtimeRule: () => undefined,
  availabilityText: 'Every runtime.',
  cli: githubFlags,
  form: githubForm,
});
