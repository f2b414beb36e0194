/**
 * The JQL search that reads a batch of issues in one request (`key in (…)`), as each flavour spells it:
 * Jira Cloud's `GET /rest/api/3/search/jql` (the enhanced search that replaced `/rest/api/3/search`) and
 * Jira Server/Data Center's `GET /rest/api/2/search`. Both take `jql`, `fields` and `maxResults`; Server/DC
 * also takes `validateQuery`, whose `warn` answers the issues that exist instead of a 400 for keys that do
 * not. https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/ and
 * https://docs.atlassian.com/software/jira/docs/api/REST/latest/#api/2/search
 */
export function searchUrl(baseUrl: string, kind: 'cloud' | 'server', keys: readonly string[]): URL {
  const url = new URL(`${baseUrl}${kind === 'cloud' ? '/rest/api/3/search/jql' : '/rest/api/2/search'}`);
  // Keys are validated issue keys (`^[A-Z][A-Z0-9_]*-\d+$`), so they need no JQL quoting.
  url.searchParams.set('jql', `key in (${keys.join(',')})`);
  url.searchParams.set('fields', 'summary,status,assignee');
  url.searchParams.set('maxResults', String(keys.length));
  if (kind === 'server') url.searchParams.set('validateQuery', 'warn');
  return url;
}
