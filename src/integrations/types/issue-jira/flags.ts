import type { CliSpec } from '../definition.js';

/** `imagetrail integration add jira` and the Jira options of `integration edit`. */
export const jiraFlags: CliSpec = {
  command: 'jira',
  description: 'add a Jira integration (issues named in commits), tested before it is committed',
  flags: [
    {
      flag: '--base-url <url>',
      setting: 'baseUrl',
      description: 'Jira site: https://SITE.atlassian.net, or the Server/DC URL with its context path',
    },
    {
      flag: '--email <email>',
      setting: 'auth.email',
      description: 'Jira Cloud: the Atlassian account email the API token belongs to',
    },
    {
      flag: '--api-token-stdin',
      setting: 'auth.apiToken',
      description: 'Jira Cloud: read the API token from standard input (else env JIRA_API_TOKEN)',
      env: 'JIRA_API_TOKEN',
      editDescription: 'Jira Cloud: read the API token from standard input',
    },
    {
      flag: '--pat-stdin',
      setting: 'auth.pat',
      description:
        'Jira Server/Data Center: read the personal access token from standard input (else env JIRA_PAT)',
      env: 'JIRA_PAT',
      editDescription: 'Jira Server/Data Center: read the personal access token from standard input',
    },
    {
      flag: '--project-prefix <prefixes>',
      setting: 'projectPrefixes',
      description: 'default project keys (PROJ,OPS) or /regex/ for CI reports',
      editDescription: 'default project keys (PROJ,OPS) or /regex/ for CI reports ("" to clear)',
      emptyClears: true,
    },
    {
      flag: '--fail-on-not-found',
      setting: 'failOnNotFound',
      description: 'by default, fail a report that names an issue Jira does not have',
    },
    {
      flag: '--no-fail-on-not-found',
      setting: 'failOnNotFound',
      description: 'by default, record a report without missing issues',
      editOnly: true,
    },
  ],
};
