import { InputError } from '../../domain/errors.js';

/**
 * Which Jira issue keys to pick out of commit messages, branch names and PR titles. Parsed from the same
 * spec as Codefresh's `CF_JIRA_PROJECT_PREFIX`: a comma list of project keys, or `/regex/flags`.
 */
export type KeyMatcher =
  | { readonly kind: 'prefixes'; readonly prefixes: readonly string[] }
  | { readonly kind: 'regex'; readonly source: string; readonly flags: string };

/** Jira's project key rule (default `([A-Z][A-Z]+)`, admins may allow digits and `_`), case aside. */
const PROJECT_KEY = /^[A-Za-z][A-Za-z0-9_]*$/;
/** What an issue key looks like once normalised; regex matches that are not keys are dropped. */
const ISSUE_KEY = /^[A-Z][A-Z0-9_]*-\d+$/;
const REGEX_SPEC = /^\/(.+)\/([a-z]*)$/s;

export function parseKeyMatcher(spec: string): KeyMatcher {
  const s = spec.trim();
  const rx = REGEX_SPEC.exec(s);
  if (rx) {
    const source = rx[1] ?? '';
    // `g` is implied (every match is wanted) and `y` would stop at the first gap between keys.
    const flags = [...new Set((rx[2] ?? '').replace(/[gy]/g, ''))].join('');
    try {
      new RegExp(source, flags);
    } catch (err) {
      throw new InputError(
        `The Jira key pattern ${s} is not a valid regular expression: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    return { kind: 'regex', source, flags };
  }
  const prefixes = s
    .split(',')
    .map((p) => p.trim().replace(/-$/, '').toUpperCase())
    .filter((p) => p !== '');
  const bad = prefixes.filter((p) => !PROJECT_KEY.test(p));
  if (prefixes.length === 0 || bad.length > 0) {
    throw new InputError(
      prefixes.length === 0
        ? 'The Jira project prefix is empty.'
        : `Not Jira project keys: ${bad.join(', ')} (a key starts with a letter, then letters, digits or _).`,
      { hints: ['Use a comma list of project keys (PROJ,OPS) or a regular expression (/PROJ-\\d+/g).'] },
    );
  }
  return { kind: 'prefixes', prefixes: [...new Set(prefixes)] };
}

/**
 * Issue keys in `texts`, upper-cased, de-duplicated, in order of first appearance. With prefixes, a key
 * must stand alone: `XPROJ-1` and `PROJ-12b` are not `PROJ-…` keys (a trailing `_` is fine, as in branch
 * names like `PROJ-12_login`). With a regex, every whole match that looks like an issue key counts.
 */
export function findIssueKeys(texts: readonly string[], matcher: KeyMatcher): string[] {
  const re = compile(matcher);
  const seen = new Set<string>();
  for (const text of texts) {
    // matchAll clones the regex, so no lastIndex state is shared between texts or calls.
    for (const m of text.matchAll(re)) {
      const key = m[0].toUpperCase();
      if (ISSUE_KEY.test(key)) seen.add(key);
    }
  }
  return [...seen];
}

function compile(matcher: KeyMatcher): RegExp {
  if (matcher.kind === 'regex') return new RegExp(matcher.source, matcher.flags + 'g');
  // Jira keys are upper case, but people type `proj-12` in commit messages; Jira resolves it either way.
  return new RegExp(`(?<![A-Za-z0-9_])(?:${matcher.prefixes.join('|')})-\\d+(?![A-Za-z0-9])`, 'gi');
}

/** The spec back, for display and for storing a normalised form. */
export function formatKeyMatcher(matcher: KeyMatcher): string {
  return matcher.kind === 'regex' ? `/${matcher.source}/${matcher.flags}g` : matcher.prefixes.join(',');
}
