import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { InputError, PayloadTooLargeError } from '../../domain/errors.js';
import type { AuthEnv } from '../auth.js';

/**
 * hono's bodyLimit, without its cost on a body of declared length. It reads `c.req.raw.body`, which turns
 * @hono/node-server's lightweight request into a full web Request (headers, a signal, the body as a web
 * stream, read back through it): a fraction of a millisecond per request, on the agents' completions too.
 * A declared length is checked here as bodyLimit checks it, and the body is then read directly, where
 * Node's parser holds it to that length; a body without one (chunked) goes through bodyLimit's counting.
 */
export function limitBody(maxSize: number): MiddlewareHandler {
  const tooLarge = (): never => {
    throw new PayloadTooLargeError(`Request body is larger than ${maxSize} bytes.`);
  };
  const counting = bodyLimit({ maxSize, onError: tooLarge });
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const declared = c.req.header('content-length');
    if (declared === undefined || c.req.header('transfer-encoding') !== undefined) return counting(c, next);
    if (!/^\d+$/.test(declared) || Number(declared) > maxSize) tooLarge();
    return next();
  };
}

/** Reads a JSON body; a missing or malformed one is the client's mistake, said plainly. */
export async function jsonBody(c: Context, { optional = false } = {}): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') {
    if (optional) return {};
    throw new InputError('Request body is empty: send a JSON object with Content-Type: application/json.');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InputError(`Request body is not valid JSON: ${(err as Error).message}`);
  }
}

export function actorOf<P extends string>(
  c: Context<AuthEnv, P>,
): { id: string; name: string; sso?: boolean } {
  const p = c.get('principal');
  return { id: p.id, name: p.name, ...(c.get('ssoUser') ? { sso: true } : {}) };
}
