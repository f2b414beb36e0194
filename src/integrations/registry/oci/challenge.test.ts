import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_CHALLENGE_LENGTH, MAX_CHALLENGE_PARAMS, parseChallenge } from './challenge.js';

describe('parseChallenge', () => {
  it('reads the distribution token challenge, with commas and escapes inside quotes', () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.example/token',
        service: 'registry.example',
        scope: 'repository:a/b:pull,push',
      },
    });
    expect(parseChallenge('Bearer realm="a\\"b",Service=x')).toEqual({
      scheme: 'bearer',
      params: { realm: 'a"b', service: 'x' },
    });
    expect(parseChallenge('  Basic   realm = "basic-realm" ')).toEqual({
      scheme: 'basic',
      params: { realm: 'basic-realm' },
    });
  });

  it('gives nothing for an absent, empty or schemeless header', () => {
    expect(parseChallenge(null)).toBeUndefined();
    expect(parseChallenge('')).toBeUndefined();
    expect(parseChallenge('   ')).toBeUndefined();
    expect(parseChallenge('="x"')).toBeUndefined();
  });

  it('keeps what was readable before a broken part', () => {
    expect(parseChallenge('Bearer realm="https://a/t",service="unterminated')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://a/t' },
    });
    expect(parseChallenge('Bearer realm="https://a/t" ; junk')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://a/t' },
    });
  });

  it('parameter names that shadow Object.prototype are plain data; __proto__ is not a name', () => {
    const c = parseChallenge('Bearer realm="r",constructor="x",hasOwnProperty="y"');
    expect(Object.getPrototypeOf(c?.params)).toBe(Object.prototype);
    expect(c?.params).toEqual({ realm: 'r', constructor: 'x', hasownproperty: 'y' });
    // A name starts with a letter (RFC 9110 token, as registries send it): parsing stops there.
    expect(parseChallenge('Bearer realm="r",__proto__="x"')?.params).toEqual({ realm: 'r' });
  });

  describe('hostile input', () => {
    it('ignores a header over the length bound instead of scanning it', () => {
      const long = `Bearer realm="${'a'.repeat(MAX_CHALLENGE_LENGTH)}"`;
      expect(parseChallenge(long)).toBeUndefined();
    });

    it('reads at most MAX_CHALLENGE_PARAMS parameters', () => {
      const many = `Bearer ${Array.from({ length: 500 }, (_, i) => `p${i}=v`).join(',')}`;
      expect(Object.keys(parseChallenge(many)?.params ?? {})).toHaveLength(MAX_CHALLENGE_PARAMS);
    });

    it.each([
      ['escapes', `Bearer realm="${'\\'.repeat(MAX_CHALLENGE_LENGTH - 20)}`],
      ['separators', `Bearer ${','.repeat(MAX_CHALLENGE_LENGTH - 10)}`],
      ['spaces around =', `Bearer a${' '.repeat(MAX_CHALLENGE_LENGTH / 2 - 10)}=${' '.repeat(100)}`],
      ['unclosed quotes', `Bearer ${'a="'.repeat(MAX_CHALLENGE_LENGTH / 3 - 5)}`],
      ['token characters', `B${'-'.repeat(MAX_CHALLENGE_LENGTH - 2)}`],
    ])('a worst case for backtracking parsers (%s) is read in one pass', (_name, header) => {
      expect(header.length).toBeLessThanOrEqual(MAX_CHALLENGE_LENGTH);
      const c = parseChallenge(header);
      expect(c === undefined || Object.keys(c.params).length <= MAX_CHALLENGE_PARAMS).toBe(true);
    });

    it('never throws, and yields a lower-case scheme and bounded, lower-case parameter names', () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 300 }), (header) => {
          const c = parseChallenge(header);
          if (!c) return;
          expect(c.scheme).toBe(c.scheme.toLowerCase());
          const keys = Object.keys(c.params);
          expect(keys.length).toBeLessThanOrEqual(MAX_CHALLENGE_PARAMS);
          for (const k of keys) expect(k).toMatch(/^[a-z][\w-]*$/);
        }),
      );
    });

    it('reads back any realm, service and scope it is given, quoted', () => {
      const value = fc.string({ maxLength: 80 });
      fc.assert(
        fc.property(value, value, value, (realm, service, scope) => {
          const q = (v: string) => `"${v.replace(/["\\]/g, (m) => `\\${m}`)}"`;
          const c = parseChallenge(`Bearer realm=${q(realm)},service=${q(service)},scope=${q(scope)}`);
          expect(c).toEqual({ scheme: 'bearer', params: { realm, service, scope } });
        }),
      );
    });
  });
});
