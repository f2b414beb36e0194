import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../domain/errors.js';
import { repoSlug } from './repo-slug.js';

describe('repoSlug', () => {
  it.each([
    ['octo-org/api', 'octo-org/api'],
    ['  octo-org/api  ', 'octo-org/api'],
    ['octo-org/api.git', 'octo-org/api'],
    ['https://github.com/octo-org/api', 'octo-org/api'],
    ['https://github.com/octo-org/api.git', 'octo-org/api'],
    ['https://github.com/octo-org/api/', 'octo-org/api'],
    ['http://ghe.example.com/team_corp/my.repo', 'team_corp/my.repo'],
    ['git@github.com:octo-org/api.git', 'octo-org/api'],
    ['git@ghe.example.com:octo-org/api', 'octo-org/api'],
    ['ssh://git@github.com/octo-org/api.git', 'octo-org/api'],
    ['ssh://git@ghe.example.com:2222/octo-org/api.git', 'octo-org/api'],
    ['https://github.com/Octo-Org/API_v2', 'Octo-Org/API_v2'],
  ])('%s → %s', (input, slug) => {
    expect(repoSlug(input)).toBe(slug);
  });

  it.each([
    '',
    'api',
    'octo-org/api/extra',
    'https://github.com/octo-org',
    'https://github.com/octo-org/api/tree/main',
    'https://github.com/octo-org/api?tab=readme',
    'octo-org/..',
    'octo org/api',
    '-octo/api',
    'ftp://github.com/octo-org/api',
    'git@github.com:/octo-org/api',
  ])('rejects %j', (input) => {
    expect(() => repoSlug(input)).toThrow(InputError);
  });

  const owner = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,20}$/);
  const repo = fc
    .stringMatching(/^[A-Za-z0-9._-]{1,30}$/)
    .filter((r) => r !== '.' && r !== '..' && !/\.git$/i.test(r));

  it('finds the same slug in every form a remote is written', () => {
    fc.assert(
      fc.property(owner, repo, fc.constantFrom('github.com', 'ghe.example.com'), (o, r, host) => {
        const slug = `${o}/${r}`;
        for (const form of [
          slug,
          `${slug}.git`,
          `https://${host}/${slug}`,
          `https://${host}/${slug}.git`,
          `git@${host}:${slug}.git`,
          `ssh://git@${host}/${slug}`,
        ]) {
          expect(repoSlug(form)).toBe(slug);
        }
      }),
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(owner, repo, (o, r) => {
        const once = repoSlug(`https://github.com/${o}/${r}`);
        expect(repoSlug(once)).toBe(once);
      }),
    );
  });
});
