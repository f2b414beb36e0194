import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../domain/errors.js';
import { formatConfigRepoLocation, parseConfigRepoLocation, stripUrlCredentials } from './location.js';

const notBare = { isBareRepository: () => false, cwd: '/srv' };

describe('parseConfigRepoLocation', () => {
  it.each([
    ['https://github.com/acme/isc.git', { kind: 'remote', url: 'https://github.com/acme/isc.git' }],
    ['https://github.com/acme/isc', { kind: 'remote', url: 'https://github.com/acme/isc' }],
    [
      'https://github.com/acme/isc.git/gitops/imagetrail?ref=prod',
      { kind: 'remote', url: 'https://github.com/acme/isc.git', subPath: 'gitops/imagetrail', ref: 'prod' },
    ],
    [
      'https://github.com/acme/isc.git?ref=main',
      { kind: 'remote', url: 'https://github.com/acme/isc.git', ref: 'main' },
    ],
    [
      'ssh://git@host:2222/org/repo.git/sub',
      { kind: 'remote', url: 'ssh://git@host:2222/org/repo.git', subPath: 'sub' },
    ],
    ['git@github.com:acme/isc.git', { kind: 'remote', url: 'git@github.com:acme/isc.git' }],
    [
      'git@github.com:acme/isc.git/a/b?ref=feature/x',
      { kind: 'remote', url: 'git@github.com:acme/isc.git', subPath: 'a/b', ref: 'feature/x' },
    ],
    [
      'file:///srv/isc.git/sub?ref=dev',
      { kind: 'remote', url: 'file:///srv/isc.git', subPath: 'sub', ref: 'dev' },
    ],
    ['file:///srv/isc.git', { kind: 'remote', url: 'file:///srv/isc.git' }],
    ['./config', { kind: 'local', path: '/srv/config' }],
    ['/data/shared-config', { kind: 'local', path: '/data/shared-config' }],
  ])('%s', (input, expected) => {
    expect(parseConfigRepoLocation(input, notBare)).toEqual(expected);
  });

  it('treats a bare repository path as a remote, with sub-path and ref', () => {
    const isBareRepository = (p: string) => p === '/srv/isc.git';
    expect(parseConfigRepoLocation('/srv/isc.git', { isBareRepository })).toEqual({
      kind: 'remote',
      url: '/srv/isc.git',
    });
    expect(parseConfigRepoLocation('/srv/isc.git/x/y?ref=r1', { isBareRepository })).toEqual({
      kind: 'remote',
      url: '/srv/isc.git',
      subPath: 'x/y',
      ref: 'r1',
    });
  });

  it.each([
    'https://user:ghp_secret@github.com/acme/isc.git',
    'https://ghp_tokenonly@github.com/acme/isc.git',
    'ssh://git:pw@host/org/repo.git',
  ])('refuses credentials in %s without echoing them', (input) => {
    let err: unknown;
    try {
      parseConfigRepoLocation(input, notBare);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).not.toMatch(/secret|tokenonly|pw/);
    expect((err as InputError).hints.join(' ')).toMatch(/credential helper/);
  });

  it.each([
    'https://h/r.git?ref=..',
    'https://h/r.git?ref=-x',
    'https://h/r.git?foo=1',
    'https://h/r.git/../etc',
    'https://h/r.git#frag',
    'ftp://h/r.git',
    '/local/dir?ref=main',
    '',
  ])('refuses %j', (input) => {
    expect(() => parseConfigRepoLocation(input, notBare)).toThrow(InputError);
  });

  const seg = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,8}$/);
  it('round-trips URL, sub-path and ref (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('https://', 'ssh://git@', 'file:///'),
        fc.array(seg, { minLength: 1, maxLength: 3 }),
        fc.array(seg, { maxLength: 3 }),
        fc.option(fc.array(seg, { minLength: 1, maxLength: 2 }), { nil: undefined }),
        (scheme, repoSegs, subSegs, refSegs) => {
          const url = `${scheme}${scheme === 'file:///' ? '' : 'example.com/'}${repoSegs.join('/')}.git`;
          const loc = {
            kind: 'remote' as const,
            url,
            ...(subSegs.length ? { subPath: subSegs.join('/') } : {}),
            ...(refSegs ? { ref: refSegs.join('/') } : {}),
          };
          expect(parseConfigRepoLocation(formatConfigRepoLocation(loc), notBare)).toEqual(loc);
        },
      ),
    );
  });

  it('never throws anything but InputError, and never returns credentials (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.string({ minLength: 1, maxLength: 10 }), (s, pw) => {
        for (const input of [s, `https://u:${encodeURIComponent(pw)}@h/${s}`]) {
          try {
            const loc = parseConfigRepoLocation(input, notBare);
            if (loc.kind === 'remote' && /^https?:/.test(loc.url)) expect(new URL(loc.url).password).toBe('');
          } catch (e) {
            expect(e).toBeInstanceOf(InputError);
          }
        }
      }),
    );
  });
});

describe('stripUrlCredentials', () => {
  it('strips user info from every URL in a text', () => {
    expect(stripUrlCredentials("fatal: unable to access 'https://u:tok@h/r.git/': 403 and http://x@y/")).toBe(
      "fatal: unable to access 'https://***@h/r.git/': 403 and http://***@y/",
    );
  });
});
