import type { MiddlewareHandler } from 'hono';
import type { Scope } from '../store/token-store.js';
import { requireScope, type AuthEnv } from './auth.js';

const READS = new Set(['GET', 'HEAD']);

/**
 * Reads (GET, HEAD) pass with any of `read`; every other method needs one of `write`. This is how the
 * `viewer` scope sees images, reports, runtimes and integrations (without secrets: no route returns them)
 * while every mutation, test and sync answers 403.
 */
export function readsOr(read: Scope[], write: Scope[]): MiddlewareHandler<AuthEnv> {
  const reads = requireScope(...read);
  const writes = requireScope(...write);
  return (c, next) => (READS.has(c.req.method) ? reads(c, next) : writes(c, next));
}
