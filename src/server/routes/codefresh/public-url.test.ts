import type { Context } from 'hono';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../domain/errors.js';
import { publicBaseUrl, runtimePath } from './public-url.js';

const ctx = (url: string) => ({ req: { url } }) as unknown as Context;

describe('publicBaseUrl', () => {
  it('is the configured URL, whatever Host the request names', () => {
    expect(publicBaseUrl(ctx('http://evil.example/2.0/api/graphql'), 'https://it.example.com/')).toBe(
      'https://it.example.com',
    );
  });

  it.each(['http://127.0.0.1:8080', 'http://localhost:3000', 'http://[::1]:9000'])(
    'without one, a loopback request names it: %s',
    (origin) => expect(publicBaseUrl(ctx(`${origin}/2.0/api/graphql`), undefined)).toBe(origin),
  );

  it('without one, a request to any other host is refused: its Host would receive the client key', () => {
    expect(() => publicBaseUrl(ctx('http://evil.example/2.0/api/graphql'), undefined)).toThrow(InputError);
    expect(() => publicBaseUrl(ctx('http://10.0.0.5:8080/x'), undefined)).toThrow(/--public-url/);
  });

  it('puts the runtime in the path, encoded', () => expect(runtimePath('prod')).toBe('/cf/runtimes/prod'));
});
