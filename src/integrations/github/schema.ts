import * as z from 'zod';

/**
 * What imagetrail reads from the GitHub REST API (and GitHub Enterprise Server's /api/v3), and nothing
 * more: unknown fields pass, so a field GitHub adds never breaks enrichment. Payloads are mapped to
 * camelCase facts in the same step, so no snake_case leaks past this module.
 */

const GitActor = z.object({
  name: z.string(),
  email: z.string(),
  date: z.string(),
});

/** The GitHub account linked to a Git author or committer; null when the email matches no account. */
const Account = z.object({ login: z.string() }).nullish();

/** `GET /repos/{owner}/{repo}/commits/{ref}` ("Get a commit"). */
export const Commit = z
  .object({
    sha: z.string(),
    html_url: z.string(),
    commit: z.object({
      message: z.string(),
      // Both are nullable in GitHub's OpenAPI description (commits imported without the field).
      author: GitActor.nullable(),
      committer: GitActor.nullable(),
    }),
    author: Account,
    committer: Account,
  })
  .transform((c) => ({
    sha: c.sha,
    message: c.commit.message,
    url: c.html_url,
    author: c.commit.author ? { ...c.commit.author, login: c.author?.login ?? null } : null,
    committer: c.commit.committer ? { ...c.commit.committer, login: c.committer?.login ?? null } : null,
  }));
export type Commit = z.infer<typeof Commit>;

/** One item of `GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls`. */
export const PullRequest = z
  .object({
    number: z.number().int(),
    title: z.string(),
    state: z.string(),
    html_url: z.string(),
    // Null for a PR whose author account was deleted ("ghost").
    user: z.object({ login: z.string() }).nullable(),
    merged_at: z.string().nullable(),
    head: z.object({ ref: z.string() }),
    base: z.object({ ref: z.string() }),
  })
  .transform((p) => ({
    number: p.number,
    title: p.title,
    // GitHub's state is open|closed; merged is a closed PR with merged_at, which is what a dashboard shows.
    state: p.merged_at ? ('merged' as const) : p.state === 'open' ? ('open' as const) : ('closed' as const),
    url: p.html_url,
    author: p.user?.login ?? null,
    mergedAt: p.merged_at,
    headRef: p.head.ref,
    baseRef: p.base.ref,
  }));
export type PullRequest = z.infer<typeof PullRequest>;

export const PullRequestList = z.array(PullRequest);
export type PullRequestList = z.infer<typeof PullRequestList>;

/** `GET /user` ("Get the authenticated user"): who the token acts as, for the connection test. */
export const User = z
  .object({ login: z.string(), id: z.number().int(), name: z.string().nullish() })
  .transform((u) => ({ login: u.login, id: u.id, name: u.name ?? null }));
export type User = z.infer<typeof User>;
