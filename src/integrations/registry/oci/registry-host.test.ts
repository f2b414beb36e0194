import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalRegistry } from '../../../domain/registry-host.js';
import { formatReference, parseReference } from './reference.js';

const label = fc.stringMatching(/^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,6}[a-zA-Z0-9])?$/);
const publicHost = fc
  .tuple(label, fc.array(label, { minLength: 1, maxLength: 3 }))
  .map(([a, b]) => [a, ...b].join('.'))
  // Loopback names are plain-HTTP registries with a different default port; generated separately.
  .filter((h) => !h.toLowerCase().startsWith('127.'));
const loopbackHost = fc.constantFrom('localhost', 'LocalHost', '127.0.0.1', '[::1]');
const port = fc.integer({ min: 1, max: 65535 });
const path = fc.stringMatching(/^[a-z0-9]{1,8}(?:\/[a-z0-9]{1,8}){0,2}$/);
const digest = fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => `sha256:${h}`);

/** Flips the case of some letters. */
const recased = (s: string, mask: boolean[]) =>
  [...s].map((c, i) => (mask[i % Math.max(1, mask.length)] ? c.toUpperCase() : c.toLowerCase())).join('');
const mask = fc.array(fc.boolean(), { minLength: 1, maxLength: 16 });

const imageId = (s: string) => {
  const r = parseReference(s);
  return `${r.registry}/${r.repository}@${r.digest ?? ''}`;
};

describe('registry identity (properties)', () => {
  it('is idempotent and lower case', () => {
    fc.assert(
      fc.property(fc.oneof(publicHost, loopbackHost), fc.option(port, { nil: undefined }), (h, p) => {
        const c = canonicalRegistry(p === undefined ? h : `${h}:${p}`);
        expect(canonicalRegistry(c)).toBe(c);
        expect(c).toBe(c.toLowerCase());
      }),
      { numRuns: 1000 },
    );
  });

  it('gives one image identity whatever the host case and an explicit :443 on an HTTPS registry', () => {
    fc.assert(
      fc.property(publicHost, mask, path, digest, (h, m, p, d) => {
        const plain = imageId(`${h.toLowerCase()}/${p}@${d}`);
        expect(imageId(`${recased(h, m)}/${p}@${d}`)).toBe(plain);
        expect(imageId(`${recased(h, m)}:443/${p}@${d}`)).toBe(plain);
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps any other port: a different port is a different registry', () => {
    fc.assert(
      fc.property(
        publicHost,
        port.filter((n) => n !== 443),
        path,
        (h, n, p) => {
          expect(parseReference(`${h}:${n}/${p}`).registry).toBe(`${h.toLowerCase()}:${n}`);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('drops :80 on a loopback (plain HTTP) registry but keeps :443 there', () => {
    fc.assert(
      fc.property(loopbackHost, path, (h, p) => {
        expect(parseReference(`${h}:80/${p}`).registry).toBe(h.toLowerCase());
        expect(parseReference(`${h}:443/${p}`).registry).toBe(`${h.toLowerCase()}:443`);
      }),
    );
  });

  it('names Docker Hub once, with library/ for single-segment names', () => {
    const hub = fc.constantFrom(
      'docker.io',
      'DOCKER.IO',
      'index.docker.io',
      'Index.Docker.IO:443',
      'registry-1.docker.io',
      'registry-1.docker.io:443',
    );
    fc.assert(
      fc.property(hub, fc.stringMatching(/^[a-z0-9]{1,10}$/), digest, (h, name, d) => {
        expect(imageId(`${h}/${name}@${d}`)).toBe(`docker.io/library/${name}@${d}`);
        expect(imageId(`${name}@${d}`)).toBe(`docker.io/library/${name}@${d}`);
        expect(imageId(`${h}/library/${name}@${d}`)).toBe(`docker.io/library/${name}@${d}`);
      }),
    );
  });

  it('formats a canonical name that parses back to itself', () => {
    fc.assert(
      fc.property(
        fc.oneof(publicHost, loopbackHost),
        fc.option(port, { nil: undefined }),
        path,
        (h, n, p) => {
          const ref = parseReference(`${n === undefined ? h : `${h}:${n}`}/${p}:v1`);
          expect(parseReference(formatReference(ref)).registry).toBe(ref.registry);
        },
      ),
      { numRuns: 500 },
    );
  });
});
