import { InputError, NotFoundError } from '../domain/errors.js';
import { assertSpecEndpoints } from '../config-repo/endpoints.js';
import type { EndpointPolicy } from '../domain/endpoints.js';
import { resolveIntegration, type ConfigSnapshot } from '../config-repo/snapshot.js';
import { GitHubClient, type GitHubClientOptions } from '../integrations/github/client.js';
import type { Redactor } from '../logging/redactor.js';
import type { KeyStore } from '../config-repo/keys.js';
import type { GitEnricher } from './enrichers.js';
import type { GitFacts, PullRequest } from '../contract/images.js';
import { ClientCache, fingerprint, openForRuntime } from './sealed.js';

export interface GitHubEnricherDeps {
  keys: KeyStore;
  redactor: Redactor;
  /** Per GitHub call; the client's default (10 s) otherwise. */
  timeoutMs?: number;
  fetch?: GitHubClientOptions['fetch'];
  /** Where credentials may be sent (`--allow-endpoint`), checked again right before sending. */
  endpoints?: EndpointPolicy;
}

/**
 * Pull requests of a report's commit, through the `git.github` integration the runtime sees (its own copy
 * wins over the all-runtimes one, rule 8), with the token opened by the runtime's key. One client per
 * (integration, runtime, stored settings), kept across reports.
 */
export class GitHubGitEnricher implements GitEnricher {
  readonly #clients = new ClientCache<GitHubClient>();

  constructor(private readonly deps: GitHubEnricherDeps) {}

  async pullRequests(
    snap: ConfigSnapshot,
    runtime: string,
    integration: string,
    git: GitFacts,
  ): Promise<PullRequest[]> {
    const entry = resolveIntegration(snap, runtime, integration);
    if (!entry) {
      throw new NotFoundError(`Runtime "${runtime}" has no Git integration named "${integration}".`, {
        hints: [`See what it can use: imagetrail runtime show ${runtime}`],
      });
    }
    const spec = entry.resource.spec;
    if (spec.type !== 'git.github') {
      throw new InputError(
        `Integration "${integration}" is a ${spec.type} integration; pull requests need a git.github one (CF_GIT_INTEGRATION).`,
      );
    }
    assertSpecEndpoints(spec, this.deps.endpoints ?? { allow: [] });
    // Without a repository and a commit there is nothing to ask GitHub about.
    if (!git.repo || !git.sha) return [];
    const github = spec.github;
    const client = await this.#clients.get(entry.name, runtime, fingerprint(github), async () => {
      const token = await openForRuntime(
        this.deps,
        entry,
        runtime,
        github.token,
        `Enter the token again so it is re-sealed: imagetrail integration edit ${entry.name} --token-stdin`,
      );
      return new GitHubClient({
        token,
        redactor: this.deps.redactor,
        ...(github.apiUrl ? { apiUrl: github.apiUrl } : {}),
        ...(this.deps.timeoutMs !== undefined ? { timeoutMs: this.deps.timeoutMs } : {}),
        ...(this.deps.fetch ? { fetch: this.deps.fetch } : {}),
      });
    });
    const prs = await client.pullRequestsForCommit(git.repo, git.sha);
    return prs.map((p) => ({
      number: p.number,
      title: p.title,
      url: p.url,
      state: p.state,
      ...(p.author ? { author: p.author } : {}),
      ...(p.mergedAt ? { mergedAt: p.mergedAt } : {}),
    }));
  }
}
