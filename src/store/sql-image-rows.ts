import type { Selectable } from 'kysely';
import type { GitFacts, Person } from '../contract/images.js';
import type { BuildsTable } from './schema.js';

/** Row shapes and small readers shared by the SQL image store's queries. */

export type BuildRow = Selectable<BuildsTable>;
export interface CommitJoin {
  c_message: string | null;
  c_author: string | null;
  c_committer: string | null;
  c_time: string | null;
  c_url: string | null;
  c_parents: string | null;
}

/** Git facts of a build joined with its commit row; `withBranch` false for the per-commit list. */
export function gitOf(b: BuildRow & CommitJoin, withBranch: boolean): GitFacts {
  const git: GitFacts = compact({
    provider: b.git_provider,
    repo: b.git_repo,
    branch: withBranch ? b.git_branch : null,
    sha: b.git_sha,
    message: b.c_message,
    time: b.c_time,
    url: b.c_url,
  });
  if (b.c_author !== null) git.author = parseJson<Person>(b.c_author, {});
  if (b.c_committer !== null) git.committer = parseJson<Person>(b.c_committer, {});
  if (b.c_parents !== null) git.parents = parseJson<string[]>(b.c_parents, []);
  return git;
}

/** Drops null fields: the read models use absent optional fields, never nulls. */
export function compact<T extends Record<string, string | null>>(o: T): { [K in keyof T]?: string } {
  const out: { [K in keyof T]?: string } = {};
  for (const [k, v] of Object.entries(o)) if (v !== null) out[k as keyof T] = v;
  return out;
}

// Stored by this store from typed values; lenient on read so one odd row cannot break a page.
export function parseJson<T>(json: string, fallback: T): T {
  try {
    return JSON.parse(json) as T;
  } catch {
    return fallback;
  }
}
