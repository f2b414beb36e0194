import type { Context } from 'hono';
import { InputError } from '../../../domain/errors.js';

/** Where a runtime's Codefresh-compatible report endpoint lives, below the public URL. */
export function runtimePath(name: string): string {
  return `/cf/runtimes/${encodeURIComponent(name)}`;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * The URL clients reach this server at. Configured with --public-url; without it, only a request made to a
 * loopback address may name the host, because the answer tells a CI client where to send its API key and a
 * Host header is whatever the caller wrote.
 */
export function publicBaseUrl(c: Context, configured: string | undefined): string {
  if (configured) return configured.replace(/\/+$/, '');
  const url = new URL(c.req.url);
  if (LOOPBACK.test(url.hostname)) return url.origin;
  throw new InputError(
    'imagetrail does not know its public URL, so it cannot tell the client where the runtime is: start it with --public-url URL (env IMAGETRAIL_PUBLIC_URL).',
    { hints: ['e.g. --public-url https://imagetrail.example.com'] },
  );
}
