import { statusClass, timedRemoteCall, type Telemetry } from '../domain/telemetry.js';

type Fetch = typeof globalThis.fetch;

/**
 * A fetch that counts and times each call to GitHub or Jira. The operation is the API endpoint's kind,
 * matched from the path (`commit`, `commit-pulls`, `issue`…); owners, repositories, shas and issue keys
 * stay out of labels.
 */
export function meteredFetch(service: 'github' | 'jira', telemetry: Telemetry, inner: Fetch = fetch): Fetch {
  const operationOf = service === 'github' ? githubOperation : jiraOperation;
  return (input, init) =>
    timedRemoteCall(
      telemetry,
      service,
      operationOf(urlOf(input)),
      () => inner(input, init),
      (res) => statusClass(res.status),
    );
}

function urlOf(input: Parameters<Fetch>[0]): string {
  return typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '';
  }
}

export function githubOperation(url: string): string {
  const path = pathOf(url);
  if (/\/repos\/[^/]+\/[^/]+\/commits\/[^/]+\/pulls$/.test(path)) return 'commit-pulls';
  if (/\/repos\/[^/]+\/[^/]+\/commits\/[^/]+$/.test(path)) return 'commit';
  if (/\/user$/.test(path)) return 'user';
  return 'other';
}

export function jiraOperation(url: string): string {
  const path = pathOf(url);
  if (/\/rest\/api\/[23]\/issue\/[^/]+$/.test(path)) return 'issue';
  if (/\/rest\/api\/[23]\/myself$/.test(path)) return 'myself';
  if (/\/rest\/api\/[23]\/search(\/jql)?$/.test(path)) return 'search';
  return 'other';
}
