import { describe, expect, it } from 'vitest';
import { githubCommitUrl } from './pipeline.js';

describe('githubCommitUrl', () => {
  const sha = 'a'.repeat(40);
  it.each([
    ['acme/app', undefined, `https://github.com/acme/app/commit/${sha}`],
    ['https://github.com/acme/app.git', undefined, `https://github.com/acme/app/commit/${sha}`],
    ['git@github.com:acme/app.git', 'github', `https://github.com/acme/app/commit/${sha}`],
    ['acme/app', 'gitlab', undefined],
    ['https://gitlab.com/acme/app', undefined, undefined],
    ['https://git.example.com/acme/app', undefined, undefined],
    ['not a repo', undefined, undefined],
  ])('%s (%s)', (repo, provider, expected) => {
    expect(githubCommitUrl(repo, sha, provider)).toBe(expected);
  });
  it('needs a sha', () => expect(githubCommitUrl('acme/app', undefined, undefined)).toBeUndefined());
});
