import { InputError, NotFoundError } from '../domain/errors.js';
import { assertSpecEndpoints } from '../config-repo/endpoints.js';
import type { EndpointPolicy } from '../domain/endpoints.js';
import { resolveIntegration, type ConfigSnapshot } from '../config-repo/snapshot.js';
import { JiraClient, type JiraClientOptions } from '../integrations/jira/client.js';
import { findIssueKeys, parseKeyMatcher } from '../domain/issue-keys.js';
import type { Redactor } from '../logging/redactor.js';
import type { KeyStore } from '../config-repo/keys.js';
import type { IssueEnricher } from './enrichers.js';
import type { GitFacts, ImageReportInput, IssueFacts } from '../contract/images.js';
import { ClientCache, fingerprint, openForRuntime } from './sealed.js';

export interface JiraEnricherDeps {
  keys: KeyStore;
  redactor: Redactor;
  /** Per Jira call; the client's default (10 s) otherwise. */
  timeoutMs?: number;
  fetch?: JiraClientOptions['fetch'];
  /** Issue keys looked up per report; the rest are named in a step and left out. Default 50. */
  maxKeys?: number;
  /** Where credentials may be sent (`--allow-endpoint`), checked again right before sending. */
  endpoints?: EndpointPolicy;
}

export const DEFAULT_MAX_ISSUE_KEYS = 50;

/**
 * Issues named in a report (the Jira message, the commit message, the branch), through the `issue.jira`
 * integration the runtime sees, with its secret opened by the runtime's key. What CI sends wins over the
 * integration's defaults (project prefixes, fail-on-not-found), as `CF_JIRA_*` does in Codefresh.
 */
type JiraEntry = NonNullable<ReturnType<typeof resolveIntegration>>;
type JiraSpec = Extract<JiraEntry['resource']['spec'], { type: 'issue.jira' }>['jira'];

export class JiraIssueEnricher implements IssueEnricher {
  readonly #clients = new ClientCache<JiraClient>();

  constructor(private readonly deps: JiraEnricherDeps) {}

  async issues(
    snap: ConfigSnapshot,
    runtime: string,
    input: ImageReportInput,
    git: GitFacts | undefined,
    note: (message: string) => void = () => undefined,
  ): Promise<IssueFacts[]> {
    const name = input.issues?.integration;
    if (!name) return [];
    const { entry, jira } = this.#jiraIntegration(snap, runtime, name);
    const prefixes = input.issues?.projectPrefix ?? jira.projectPrefixes;
    if (!prefixes) {
      throw new InputError(
        `Say which Jira projects to look for in the commit: no project prefix for "${name}".`,
        {
          hints: [
            'Pass --jira-project-prefix PROJ (CF_JIRA_PROJECT_PREFIX), or set a default on the integration: imagetrail integration edit ' +
              `${name} --project-prefix PROJ`,
          ],
        },
      );
    }
    const matcher = parseKeyMatcher(prefixes);
    const texts = [
      input.issues?.message,
      git?.message ?? input.git?.message,
      git?.branch ?? input.git?.branch,
    ].filter((t): t is string => typeof t === 'string' && t !== '');
    const all = findIssueKeys(texts, matcher);
    if (all.length === 0) return [];
    // CI writes the commit message: thousands of keys must not become thousands of Jira calls.
    const max = this.deps.maxKeys ?? DEFAULT_MAX_ISSUE_KEYS;
    const keys = all.slice(0, max);
    if (all.length > max) {
      note(
        `found ${all.length} issue keys; looked up the first ${max} (the server's --max-issue-keys), left out ${all.length - max}`,
      );
    }

    const client = await this.#clients.get(entry.name, runtime, fingerprint(jira), () =>
      this.#newClient(entry, jira, runtime),
    );
    const failOnNotFound = input.issues?.failOnNotFound ?? jira.failOnNotFound ?? false;
    const { issues } = await client.getIssues(keys, { failOnNotFound });
    return issues.map((i) => ({
      key: i.key,
      title: i.title,
      status: i.status.name,
      statusCategory: i.status.category.key,
      ...(i.assignee ? { assignee: i.assignee } : {}),
      url: i.url,
    }));
  }

  /** The runtime's `issue.jira` integration called `name`, with its endpoints checked against the allow-list. */
  #jiraIntegration(snap: ConfigSnapshot, runtime: string, name: string) {
    const entry = resolveIntegration(snap, runtime, name);
    if (!entry) {
      throw new NotFoundError(`Runtime "${runtime}" has no issue tracking integration named "${name}".`, {
        hints: [`See what it can use: imagetrail runtime show ${runtime}`],
      });
    }
    const spec = entry.resource.spec;
    if (spec.type !== 'issue.jira') {
      throw new InputError(
        `Integration "${name}" is a ${spec.type} integration; issues need an issue.jira one (CF_ISSUE_TRACKING_INTEGRATION).`,
      );
    }
    assertSpecEndpoints(spec, this.deps.endpoints ?? { allow: [] });
    return { entry, jira: spec.jira };
  }

  async #newClient(entry: JiraEntry, jira: JiraSpec, runtime: string): Promise<JiraClient> {
    const name = entry.name;
    const auth =
      jira.auth.kind === 'cloud'
        ? {
            kind: 'cloud' as const,
            email: jira.auth.email,
            apiToken: await openForRuntime(
              this.deps,
              entry,
              runtime,
              jira.auth.apiToken,
              reenter(name, '--api-token-stdin'),
            ),
          }
        : {
            kind: 'server' as const,
            pat: await openForRuntime(this.deps, entry, runtime, jira.auth.pat, reenter(name, '--pat-stdin')),
          };
    return new JiraClient({
      baseUrl: jira.baseUrl,
      auth,
      redactor: this.deps.redactor,
      ...(this.deps.timeoutMs !== undefined ? { timeoutMs: this.deps.timeoutMs } : {}),
      ...(this.deps.fetch ? { fetch: this.deps.fetch } : {}),
    });
  }
}

function reenter(name: string, flag: string): string {
  return `Enter the secret again so it is re-sealed: imagetrail integration edit ${name} ${flag}`;
}
