import type { Context } from 'hono';
import { InputError } from '../../domain/errors.js';
import type { AuthEnv } from '../auth.js';

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
