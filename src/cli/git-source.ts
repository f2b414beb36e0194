import { repoSlug } from '../integrations/github/repo-slug.js';
import { readLocalGit, stripCredentials, type LocalGitFacts } from './git-facts.js';

export interface GitSourceOptions {
  /** `--git-dir`: read this checkout (an explicit choice). */
  gitDir?: string;
  /** `--git-from-cwd`: read the current directory's checkout whatever its remote. */
  gitFromCwd?: boolean;
  /** False with `--no-local-git`. */
  localGit?: boolean;
  /** The repository the report names (`--git-repo` / `CF_GIT_REPO`). */
  repo?: string;
  sha?: string;
}

export interface LocalGitChoice {
  facts: LocalGitFacts;
  /** Where the facts came from, or why none were taken; said to the user. */
  note: string;
}

/** `owner/name`, lower case, from `owner/name` or any remote URL form; undefined when it has no such path. */
export function ownerName(repo: string): string | undefined {
  try {
    return repoSlug(stripCredentials(repo)).toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * Git facts from a local checkout, only when it is known to be the reported one: a directory named with
 * `--git-dir`, the current directory with `--git-from-cwd`, or the current directory when its origin is the
 * repository the report names. A CI job often runs in some other checkout (a tools repository, the
 * deployment repo); its commit recorded on the image would be wrong and look right.
 */
export async function chooseLocalGit(o: GitSourceOptions, cwd: string): Promise<LocalGitChoice> {
  if (o.localGit === false) return { facts: {}, note: 'no local checkout read (--no-local-git)' };
  const dir = o.gitDir ?? cwd;
  const facts = await readLocalGit(dir, o.sha);
  if (!facts.sha) return { facts: {}, note: `${dir} is not a Git checkout` };
  if (o.gitDir !== undefined) return { facts, note: `the checkout at ${dir} (--git-dir)` };
  if (o.gitFromCwd) return { facts, note: `the checkout at ${dir} (--git-from-cwd)` };
  const origin = facts.repo ? ownerName(facts.repo) : undefined;
  if (o.repo === undefined) {
    return {
      facts: {},
      note: `the checkout at ${dir}${origin ? ` (${origin})` : ''} was not used: name the repository with --git-repo / CF_GIT_REPO, or pass --git-from-cwd`,
    };
  }
  const named = ownerName(o.repo);
  if (origin !== undefined && origin === named) {
    return {
      facts,
      note: `the checkout at ${dir}, whose origin is ${origin} as --git-repo / CF_GIT_REPO says`,
    };
  }
  return {
    facts: {},
    note: `the checkout at ${dir} was not used: its origin is ${origin ?? 'not set'}, not ${named ?? o.repo}`,
  };
}

/** One line saying which Git fact came from where. */
export function describeGitSources(
  given: { repo?: string; branch?: string; sha?: string },
  names: { repo: string; branch: string; sha: string },
  local: LocalGitChoice,
): string {
  const parts: string[] = [];
  for (const k of ['repo', 'branch', 'sha'] as const) {
    if (given[k] !== undefined) parts.push(`${k} from ${names[k]}`);
    else if (local.facts[k] !== undefined) parts.push(`${k} from the checkout`);
  }
  if (
    local.facts.message !== undefined &&
    local.facts.sha &&
    (!given.sha || local.facts.sha.startsWith(given.sha))
  )
    parts.push('message/author from the checkout');
  return `Git facts: ${parts.length ? parts.join(', ') : 'none'}; local checkout: ${local.note}.`;
}
