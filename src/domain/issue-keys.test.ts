import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from './errors.js';
import { findIssueKeys, formatKeyMatcher, parseKeyMatcher } from './issue-keys.js';

describe('parseKeyMatcher', () => {
  it('reads a comma list of project keys, upper-cased, trimmed, de-duplicated', () => {
    expect(parseKeyMatcher(' proj, OPS ,,proj-')).toEqual({ kind: 'prefixes', prefixes: ['PROJ', 'OPS'] });
  });

  it('reads /regex/flags, dropping g and y (every match is wanted)', () => {
    expect(parseKeyMatcher('/(PROJ|OPS)-\\d+/gi')).toEqual({
      kind: 'regex',
      source: '(PROJ|OPS)-\\d+',
      flags: 'i',
    });
    expect(formatKeyMatcher(parseKeyMatcher('/X-\\d+/g'))).toBe('/X-\\d+/g');
  });

  it.each(['', ' , ', '1PROJ', 'PR OJ', 'PROJ-1', '/[/g', '/a/q'])('rejects %j', (spec) => {
    expect(() => parseKeyMatcher(spec)).toThrow(InputError);
  });
});

describe('findIssueKeys', () => {
  const proj = parseKeyMatcher('PROJ,OPS');

  it('finds keys in order of first appearance across texts, once each', () => {
    expect(
      findIssueKeys(
        ['feature/PROJ-12_login', 'OPS-3: deploy\n\nrefs PROJ-12, proj-7 and OPS-3', 'Merge PROJ-1'],
        proj,
      ),
    ).toEqual(['PROJ-12', 'OPS-3', 'PROJ-7', 'PROJ-1']);
  });

  it.each([
    ['XPROJ-1', []],
    ['MY_PROJ-1', []],
    ['PROJ-12b', []],
    ['PROJ-', []],
    ['PROJ-1-2', ['PROJ-1']],
    ['(PROJ-5)', ['PROJ-5']],
    ['https://jira.example/browse/PROJ-9', ['PROJ-9']],
    ['OTHER-1 PROJ-2', ['PROJ-2']],
  ])('%j → %j', (text, keys) => {
    expect(findIssueKeys([text], proj)).toEqual(keys);
  });

  it('with a regex, takes whole matches that look like keys, upper-cased', () => {
    const m = parseKeyMatcher('/[a-z]+-\\d+/gi');
    expect(findIssueKeys(['abc-1 fixes Foo-22, and 9-9'], m)).toEqual(['ABC-1', 'FOO-22']);
    // A match that is not a key (no number) is dropped rather than sent to Jira.
    expect(findIssueKeys(['release v1'], parseKeyMatcher('/release/g'))).toEqual([]);
  });

  it('keeps no regex state between calls', () => {
    const m = parseKeyMatcher('/PROJ-\\d+/g');
    expect(findIssueKeys(['PROJ-1'], m)).toEqual(['PROJ-1']);
    expect(findIssueKeys(['PROJ-1'], m)).toEqual(['PROJ-1']);
  });

  // Properties over generated commit messages: keys of known projects embedded in noise.
  const prefix = fc.constantFrom('PROJ', 'OPS', 'A1_B');
  const key = fc.tuple(prefix, fc.integer({ min: 1, max: 99_999 }), fc.boolean()).map(([p, n, lower]) => {
    const k = `${p}-${n}`;
    return lower ? k.toLowerCase() : k;
  });
  // Noise that cannot glue onto a key: separators only, never letters or digits next to it.
  const sep = fc.constantFrom(' ', '\n', ', ', ': ', ' (', ') ', '/', ' #', '[', '] ');
  const words = fc.constantFrom('fix', 'refactor', 'OTHER-12', 'v1.2', 'x', '');
  const message = fc.array(
    fc.oneof(
      key.map((k) => ({ key: k })),
      words.map((w) => ({ word: w })),
    ),
    { maxLength: 12 },
  );
  const matcher = parseKeyMatcher('proj,ops,a1_b');

  const render = (parts: ({ key: string } | { word: string })[], seps: string[]): string =>
    parts.map((p, i) => ('key' in p ? p.key : p.word) + (seps[i % Math.max(1, seps.length)] ?? ' ')).join('');

  it('finds exactly the embedded keys, upper-cased, de-duplicated, in first-appearance order', () => {
    fc.assert(
      fc.property(message, fc.array(sep, { minLength: 1, maxLength: 5 }), (parts, seps) => {
        const expected = [...new Set(parts.flatMap((p) => ('key' in p ? [p.key.toUpperCase()] : [])))];
        expect(findIssueKeys([render(parts, seps)], matcher)).toEqual(expected);
      }),
    );
  });

  it('is case-insensitive in the text and idempotent on its own output', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 40 }), { maxLength: 4 }), message, (noise, parts) => {
        const texts = [...noise, render(parts, [' '])];
        const keys = findIssueKeys(texts, matcher);
        expect(
          findIssueKeys(
            texts.map((t) => t.toLowerCase()),
            matcher,
          ),
        ).toEqual(keys);
        expect(findIssueKeys([keys.join(' ')], matcher)).toEqual(keys);
        for (const k of keys) expect(k).toMatch(/^(PROJ|OPS|A1_B)-\d+$/);
      }),
    );
  });

  it('splitting the text between texts never adds keys', () => {
    fc.assert(
      fc.property(message, (parts) => {
        const texts = parts.map((p) => ('key' in p ? p.key : p.word));
        expect(findIssueKeys(texts, matcher)).toEqual(findIssueKeys([texts.join(' ')], matcher));
      }),
    );
  });
});

describe('hostile patterns (CF_JIRA_PROJECT_PREFIX comes from CI)', () => {
  it('a catastrophic-backtracking pattern runs in linear time and finds nothing that is not a key', () => {
    // On a backtracking engine `/^(a+)+$/` against 40 a's and a "!" takes 2^40 steps (the server froze).
    const m = parseKeyMatcher('/^(a+)+$/');
    expect(findIssueKeys(['a'.repeat(40) + '!', 'a'.repeat(64 * 1024) + '!'], m)).toEqual([]);
    expect(findIssueKeys(['PROJ-1 x'], parseKeyMatcher('/(\\w+)+-\\d+/'))).toEqual(['PROJ-1']);
  });

  it('empty matches advance instead of looping', () => {
    expect(findIssueKeys(['PROJ-1 PROJ-2'], parseKeyMatcher('/(PROJ-\\d+)?/'))).toEqual(['PROJ-1', 'PROJ-2']);
  });

  it.each([
    ['a backreference', '/(a+)\\1/'],
    ['a lookahead', '/PROJ-(?=\\d)/'],
    ['an unknown flag', '/PROJ-\\d+/d'],
    ['an over-long pattern', `/${'(PROJ)'.repeat(40)}-\\d+/`],
  ])('refuses %s with a clear input error', (_what, spec) => {
    expect(() => parseKeyMatcher(spec)).toThrow(InputError);
  });
});
