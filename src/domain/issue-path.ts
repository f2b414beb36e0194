/**
 * The one rendering of a validation issue's location, shared by the API's error details, configuration
 * problems, the CLI and the dashboard (browser-safe: no imports), so a field is named the same everywhere.
 */

/** `['spec', 'regions', 0, 'name']` → `spec.regions[0].name`; no path (the value itself) → `(root)`. */
export function issuePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

interface IssueLike {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** `spec.roleArn: Invalid input`: one issue, as a person reads it. */
export function describeIssue(issue: IssueLike): string {
  return `${issuePath(issue.path)}: ${issue.message}`;
}

/** Every issue, `; `-separated, the first `max` of them. */
export function describeIssues(issues: readonly IssueLike[], max = Infinity): string {
  const shown = issues.slice(0, max).map(describeIssue);
  return issues.length > max ? `${shown.join('; ')}; …` : shown.join('; ');
}
