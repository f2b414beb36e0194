import { defineIntegrationType } from '../definition.js';
import { jiraFlags } from './flags.js';
import { jiraForm } from './form.js';
import { JiraSpec } from './kind.js';
import { JiraView } from './view.js';

/** `issue.jira`: issues named in commits, from Jira Cloud (email + API token) or Server/DC (PAT). */
export const issueJiraDefinition = defineIntegrationType({
  type: 'issue.jira',
  section: 'jira',
  title: 'Jira',
  summary: 'Issues named in commits, from Jira Cloud (email + API token) or Server/Data Center (PAT).',
  spec: JiraSpec,
  view: JiraView,
  endpoints: [{ path: 'baseUrl' }],
  formats: { projectPrefixes: 'issue-key-matcher' },
  mode: { path: 'auth.kind' },
  // HTTPS with a token: nothing a runtime kind or version could lack.
  runtimeRule: () => undefined,
  availabilityText: 'Every runtime.',
  cli: jiraFlags,
  form: jiraForm,
});
