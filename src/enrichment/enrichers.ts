import type { ConfigSnapshot } from '../config-repo/snapshot.js';
import type { GitFacts, ImageReportInput, IssueFacts, PullRequest } from '../contract/images.js';

/** Pull requests of a commit, through a `git.github` integration visible to the runtime. */
export interface GitEnricher {
  pullRequests(
    snap: ConfigSnapshot,
    runtime: string,
    integration: string,
    git: GitFacts,
  ): Promise<PullRequest[]>;
}

/** Issues named in the commit message, branch and Jira message, through an `issue.jira` integration. */
export interface IssueEnricher {
  issues(
    snap: ConfigSnapshot,
    runtime: string,
    input: ImageReportInput,
    git: GitFacts | undefined,
    /** Says what was left out (keys over the cap), for the report's steps. */
    note?: (message: string) => void,
  ): Promise<IssueFacts[]>;
}
