import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../domain/errors.js';
import {
  defaultRegistryEndpoint,
  formatReference,
  parseReference,
  registryApiHost,
  type ImageReference,
} from './reference.js';

const D = `sha256:${'a'.repeat(64)}`;
const strip = ({ original: _o, ...rest }: ImageReference) => rest;

describe('parseReference', () => {
  it.each([
    ['nginx', { registry: 'docker.io', repository: 'library/nginx', tag: 'latest' }],
    ['nginx:1.27', { registry: 'docker.io', repository: 'library/nginx', tag: '1.27' }],
    ['docker.io/nginx', { registry: 'docker.io', repository: 'library/nginx', tag: 'latest' }],
    ['index.docker.io/library/nginx', { registry: 'docker.io', repository: 'library/nginx', tag: 'latest' }],
    ['bitnami/redis:7', { registry: 'docker.io', repository: 'bitnami/redis', tag: '7' }],
    ['localhost/x', { registry: 'localhost', repository: 'x', tag: 'latest' }],
    ['localhost:5000/x', { registry: 'localhost:5000', repository: 'x', tag: 'latest' }],
    ['localhost:5000/a/b:v1', { registry: 'localhost:5000', repository: 'a/b', tag: 'v1' }],
    ['[::1]:5000/team/app:v2', { registry: '[::1]:5000', repository: 'team/app', tag: 'v2' }],
    ['[2001:db8::1]/app', { registry: '[2001:db8::1]', repository: 'app', tag: 'latest' }],
    ['127.0.0.1:5000/app', { registry: '127.0.0.1:5000', repository: 'app', tag: 'latest' }],
    [
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:1.0',
      { registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com', repository: 'team/app', tag: '1.0' },
    ],
    [`ghcr.io/o/r@${D}`, { registry: 'ghcr.io', repository: 'o/r', digest: D }],
    [`ghcr.io/o/r:v1@${D}`, { registry: 'ghcr.io', repository: 'o/r', tag: 'v1', digest: D }],
    [`nginx@${D}`, { registry: 'docker.io', repository: 'library/nginx', digest: D }],
    ['Example.com/a__b/c-d/e.f:_T', { registry: 'example.com', repository: 'a__b/c-d/e.f', tag: '_T' }],
    ['localhost:5000', { registry: 'docker.io', repository: 'library/localhost', tag: '5000' }],
  ])('%s', (input, expected) => {
    const ref = parseReference(input);
    expect(strip(ref)).toEqual(expected);
    expect(ref.original).toBe(input);
  });

  it.each([
    ['', /empty/],
    [' nginx', /whitespace/],
    ['Nginx', /must be lowercase/],
    ['ghcr.io/Org/app', /must be lowercase \("Org"\)/],
    ['nginx:', /tag "" is invalid/],
    ['nginx:-x', /tag "-x" is invalid/],
    [`nginx:${'a'.repeat(129)}`, /tag is 129 characters, the limit is 128/],
    ['nginx@sha256:abc', /sha256 digest has 64 hex digits, this one has 3/],
    [`nginx@md5:${'a'.repeat(32)}`, /algorithm "md5" is not supported/],
    [`nginx@sha256:${'A'.repeat(64)}`, /must look like sha256/],
    ['a//b', /empty path component/],
    ['ghcr.io/', /repository name is empty/],
    ['ghcr.io:99999/x', /port "99999"/],
    ['-bad.io/x', /registry host "-bad.io" is invalid/],
    ['[::1/x', /unclosed IPv6 bracket/],
    ['[zz::1]/x', /"zz::1" is not an IPv6 address/],
    ['a/b..c', /path component "b..c" is invalid/],
    [`r.io/${'a/'.repeat(130)}a`, /the limit is 255/],
    ['a@b@c', /digest/],
  ])('rejects %j', (input, message) => {
    expect(() => parseReference(input)).toThrow(InputError);
    expect(() => parseReference(input)).toThrow(message);
  });
});

describe('helpers', () => {
  it('maps Docker Hub to its API host and picks http only for loopback', () => {
    expect(registryApiHost('docker.io')).toBe('registry-1.docker.io');
    expect(defaultRegistryEndpoint('docker.io')).toBe('https://registry-1.docker.io');
    expect(defaultRegistryEndpoint('localhost:5000')).toBe('http://localhost:5000');
    expect(defaultRegistryEndpoint('127.0.0.1:5000')).toBe('http://127.0.0.1:5000');
    expect(defaultRegistryEndpoint('[::1]:5000')).toBe('http://[::1]:5000');
    expect(defaultRegistryEndpoint('ghcr.io')).toBe('https://ghcr.io');
  });
});

const alnum = fc.stringMatching(/^[a-z0-9]{1,8}$/);
const separator = fc.constantFrom('.', '_', '__', '-', '--');
const pathComponent = fc
  .tuple(alnum, fc.array(fc.tuple(separator, alnum), { maxLength: 2 }))
  .map(([h, t]) => h + t.map(([s, a]) => s + a).join(''));
const domainComponent = fc.stringMatching(/^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,6}[a-zA-Z0-9])?$/);
const domain = fc.oneof(
  fc
    .tuple(domainComponent, fc.array(domainComponent, { minLength: 1, maxLength: 3 }))
    .map(([a, b]) => [a, ...b].join('.')),
  fc.constant('localhost'),
  fc.constantFrom('[::1]', '[2001:db8::7]', '[fe80::1:2]'),
);
const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });
const tag = fc.stringMatching(/^[\w][\w.-]{0,20}$/);
const digest = fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => `sha256:${h}`);

const reference = fc
  .record({
    domain: fc.option(fc.tuple(domain, port), { nil: undefined }),
    path: fc.array(pathComponent, { minLength: 1, maxLength: 4 }),
    tag: fc.option(tag, { nil: undefined }),
    digest: fc.option(digest, { nil: undefined }),
  })
  // Without a registry, a first component with a dot is read as a host (normalize.go); not what we generate.
  .filter(({ domain, path }) => domain !== undefined || !(path[0] ?? '').includes('.'))
  .map(({ domain, path, tag, digest }) => {
    let s = domain ? `${domain[0]}${domain[1] === undefined ? '' : `:${domain[1]}`}/` : '';
    s += path.join('/');
    if (tag) s += `:${tag}`;
    if (digest) s += `@${digest}`;
    return s;
  });

describe('properties', () => {
  it('format ∘ parse is a fixpoint and parse ∘ format is the identity', () => {
    fc.assert(
      fc.property(reference, (s) => {
        const ref = parseReference(s);
        const formatted = formatReference(ref);
        const again = parseReference(formatted);
        expect(strip(again)).toEqual(strip(ref));
        expect(formatReference(again)).toBe(formatted);
      }),
      { numRuns: 2000 },
    );
  });

  it('throws nothing but InputError on arbitrary strings', () => {
    const noise = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'grapheme', maxLength: 60 }),
      fc.stringMatching(/^[a-zA-Z0-9:@/.\-_[\]]{0,80}$/),
      reference.map((s) => s.replace(/[a-z]/, 'Q')),
    );
    fc.assert(
      fc.property(noise, (s) => {
        try {
          const ref = parseReference(s);
          expect(ref.repository.length).toBeGreaterThan(0);
        } catch (err) {
          expect(err).toBeInstanceOf(InputError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
