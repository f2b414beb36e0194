import { deflateSync, deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InputError, PayloadTooLargeError } from '../../../domain/errors.js';
import { cfQueryVariables, MAX_INFLATED_QUERY_BYTES } from './query.js';

/** As the client builds it (`src/utils.ts` getQueryStringCompressed): unescaped k=v&…, deflate level 9. */
function compressed(vars: Record<string, string>): URL {
  const qs = Object.entries(vars)
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const data = deflateSync(Buffer.from(qs), { level: 9 }).toString('base64');
  return new URL(`http://x/app-proxy/api/image-report?data=${encodeURIComponent(data)}`);
}

describe('cfQueryVariables', () => {
  it('reads a plain query', () => {
    const url = new URL(
      'http://x/app-proxy/api/image-report?CF_IMAGE=a%2Fb%3A1&CF_JIRA_MESSAGE=a%2Bb%20%26%20c',
    );
    expect(cfQueryVariables(url).vars).toEqual({ CF_IMAGE: 'a/b:1', CF_JIRA_MESSAGE: 'a+b & c' });
  });

  it('reads data=: values keep their &, =, + and %, and the Dockerfile comes back as base64', () => {
    const dockerfile = 'FROM alpine\nRUN echo "a & b"\n';
    const url = compressed({
      CF_IMAGE: 'a/b:1',
      CF_JIRA_MESSAGE: 'PAY-1: a+b & c=d %41',
      CF_DOCKERFILE_CONTENT: deflateSync(Buffer.from(dockerfile), { level: 9 }).toString('base64'),
    });
    const { vars, notes } = cfQueryVariables(url);
    expect(vars['CF_IMAGE']).toBe('a/b:1');
    expect(vars['CF_JIRA_MESSAGE']).toBe('PAY-1: a+b & c=d %41');
    expect(Buffer.from(vars['CF_DOCKERFILE_CONTENT'] ?? '', 'base64').toString()).toBe(dockerfile);
    expect(notes).toEqual([]);
  });

  it('refuses a data= that inflates beyond the cap (a zip bomb) without inflating it all', () => {
    const bomb = deflateSync(Buffer.alloc(50 * 1024 * 1024, 'A'), { level: 9 });
    expect(bomb.length).toBeLessThan(100 * 1024);
    const url = new URL(`http://x/?data=${encodeURIComponent(bomb.toString('base64'))}`);
    expect(() => cfQueryVariables(url)).toThrow(PayloadTooLargeError);
    expect(() => cfQueryVariables(url)).toThrow(String(MAX_INFLATED_QUERY_BYTES));
  });

  it('drops a Dockerfile that inflates beyond 64 KiB, with a warning', () => {
    const big = deflateSync(Buffer.alloc(1024 * 1024, 'R'), { level: 9 }).toString('base64');
    const { vars, notes } = cfQueryVariables(compressed({ CF_IMAGE: 'a/b:1', CF_DOCKERFILE_CONTENT: big }));
    expect(vars['CF_DOCKERFILE_CONTENT']).toBeUndefined();
    expect(notes[0]?.text).toMatch(/CF_DOCKERFILE_CONTENT is ignored: it is larger than 65536 bytes/);
  });

  it('refuses data= that is not base64 or not zlib (raw deflate is not what the client sends)', () => {
    expect(() => cfQueryVariables(new URL('http://x/?data=%21%21%21'))).toThrow(InputError);
    const raw = deflateRawSync(Buffer.from('CF_IMAGE=a')).toString('base64');
    expect(() => cfQueryVariables(new URL(`http://x/?data=${encodeURIComponent(raw)}`))).toThrow(
      /not zlib-deflated/,
    );
  });
});
