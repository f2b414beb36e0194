import { RE2JS } from 're2js';
import { InputError } from './errors.js';

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
/**
 * The pattern comes from CI (`CF_JIRA_PROJECT_PREFIX`) or a Git writer, so it is hostile input: it runs on
 * RE2 (re2js, linear time in the text, no backtracking) and is kept short. ADR 0007 (hostile input).
 */
export const MAX_PATTERN_LENGTH = 200;
/** JavaScript flags that mean something to RE2; `g`/`y` are dropped before, `u` is RE2's default. */
const RE2_FLAGS: Readonly<Record<string, number>> = {
  i: RE2JS.CASE_INSENSITIVE,
  m: RE2JS.MULTILINE,
  s: RE2JS.DOTALL,
  u: 0,
};

export function parseKeyMatcher(spec: string): KeyMatcher {
  const s = spec.trim();
  const rx = REGEX_SPEC.exec(s);
  if (rx) {
    const source = rx[1] ?? '';
    // `g` is implied (every match is wanted) and `y` would stop at the first gap between keys.
    const flags = [...new Set((rx[2] ?? '').replace(/[gy]/g, ''))].join('');
    compileRegex(s, source, flags);
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
  const seen = new Set<string>();
  const add = (match: string) => {
    const key = match.toUpperCase();
    if (ISSUE_KEY.test(key)) seen.add(key);
  };
  if (matcher.kind === 'regex') {
    const re = compileRegex(formatKeyMatcher(matcher), matcher.source, matcher.flags);
    for (const text of texts) {
      const m = re.matcher(text);
      while (m.find()) add(m.group() ?? '');
    }
    return [...seen];
  }
  // Built from validated project keys only (letters, digits, _): no nested quantifier, linear on V8 too.
  const re = prefixRegExp(matcher.prefixes);
  for (const text of texts) {
    // matchAll clones the regex, so no lastIndex state is shared between texts or calls.
    for (const m of text.matchAll(re)) add(m[0]);
  }
  return [...seen];
}

function compileRegex(spec: string, source: string, flags: string): RE2JS {
  if (source.length > MAX_PATTERN_LENGTH) {
    throw new InputError(
      `The Jira key pattern is ${source.length} characters long; at most ${MAX_PATTERN_LENGTH} are allowed.`,
      { hints: ['Use a comma list of project keys (PROJ,OPS), or a short pattern like /(PROJ|OPS)-\\d+/.'] },
    );
  }
  let bits = 0;
  for (const f of flags) {
    const bit = RE2_FLAGS[f];
    if (bit === undefined)
      throw new InputError(
        `The Jira key pattern ${spec} has the flag "${f}"; only i, m, s and u are supported.`,
      );
    bits |= bit;
  }
  try {
    return RE2JS.compile(source, bits);
  } catch (err) {
    throw new InputError(
      `The Jira key pattern ${spec} is not a regular expression RE2 accepts: ${(err as Error).message}`,
      {
        cause: err,
        hints: [
          'Patterns run on RE2 (linear time): no backreferences or lookaround. List project keys instead (PROJ,OPS).',
        ],
      },
    );
  }
}

function prefixRegExp(prefixes: readonly string[]): RegExp {
  // Jira keys are upper case, but people type `proj-12` in commit messages; Jira resolves it either way.
  return new RegExp(`(?<![A-Za-z0-9_])(?:${prefixes.join('|')})-\\d+(?![A-Za-z0-9])`, 'gi');
}

/** The spec back, for display and for storing a normalised form. */
export function formatKeyMatcher(matcher: KeyMatcher): string {
  return matcher.kind === 'regex' ? `/${matcher.source}/${matcher.flags}g` : matcher.prefixes.join(',');
}
