import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { InputError, PayloadTooLargeError } from '../../domain/errors.js';
import type { AuthEnv } from '../auth.js';

/** What `limitBody` leaves for `jsonBody` when it counts the bytes itself (below). */
type BodyEnv = { Variables: { bodyLimit?: number }; Bindings: { incoming?: IncomingMessage } };

/**
 * hono's bodyLimit, without its cost on a body of declared length. It reads `c.req.raw.body`, which turns
 * @hono/node-server's lightweight request into a full web Request (headers, a signal, the body as a web
 * stream, read back through it): a fraction of a millisecond per request, on the agents' completions too.
 * A declared length is checked here as bodyLimit checks it, and the body is then read directly, where
 * Node's parser holds it to that length; a body without one (chunked) goes through bodyLimit's counting,
 * which reads it whole before the next handler runs, so that a route that never reads its body still
 * refuses a big one.
 *
 * `countInJsonBody`, for routes that all read their body with `jsonBody`: a chunked body is left unread
 * here and counted by `jsonBody` as it reads it from Node's request, so the handlers before it (the token
 * check) run while the body is still coming. An agent's completion is sent that way (ADR 0040).
 */
export function limitBody(maxSize: number, opts: { countInJsonBody?: boolean } = {}): MiddlewareHandler {
  const counting = bodyLimit({
    maxSize,
    onError: () => {
      throw tooLarge(maxSize);
    },
  });
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const declared = c.req.header('content-length');
    if (declared === undefined || c.req.header('transfer-encoding') !== undefined) {
      if (!opts.countInJsonBody || !nodeIncoming(c)) return counting(c, next);
      (c as Context<BodyEnv>).set('bodyLimit', maxSize);
      return next();
    }
    if (!/^\d+$/.test(declared) || Number(declared) > maxSize) throw tooLarge(maxSize);
    return next();
  };
}

/** Reads a JSON body; a missing or malformed one is the client's mistake, said plainly. */
export async function jsonBody(c: Context, { optional = false } = {}): Promise<unknown> {
  const limit = (c as Context<BodyEnv>).get('bodyLimit');
  const incoming = nodeIncoming(c);
  const text = limit !== undefined && incoming ? await readCounted(incoming, limit) : await c.req.text();
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

function tooLarge(maxSize: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`Request body is larger than ${maxSize} bytes.`);
}

function nodeIncoming(c: Context): IncomingMessage | undefined {
  const incoming = (c.env as BodyEnv['Bindings'] | undefined)?.incoming;
  return incoming && typeof incoming.on === 'function' ? incoming : undefined;
}

/** The body from the socket, refused (and no longer kept) once it passes `limit` bytes. */
function readCounted(incoming: IncomingMessage, limit: number): Promise<string> {
  // Another reader took the body first: a mistake in this server, not the client's.
  if (incoming.readableDidRead) return Promise.reject(new Error('The request body was already read.'));
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const settle = (finish: () => void) => {
      incoming.off('data', onData).off('end', onEnd).off('error', onCut).off('close', onCut);
      finish();
    };
    const onData = (d: Buffer) => {
      size += d.length;
      if (size <= limit) return void parts.push(d);
      // What else comes is read and dropped, so the 413 can still be written on this connection.
      incoming.resume();
      settle(() => reject(tooLarge(limit)));
    };
    const onEnd = () => settle(() => resolve(Buffer.concat(parts).toString('utf8')));
    const onCut = () =>
      settle(() => reject(new InputError('The request body was cut off before its end: send it again.')));
    // 'close' before 'end' is a cut ('end' takes these listeners off first).
    incoming.on('data', onData).on('end', onEnd).on('error', onCut).on('close', onCut);
    // Cut before this read began (while the token was checked): those events have fired, and will not
    // again. (An ended body was read, by someone else: refused above.)
    if (incoming.destroyed || incoming.errored) onCut();
  });
}

export function actorOf<P extends string>(
  c: Context<AuthEnv, P>,
): { id: string; name: string; sso?: boolean } {
  const p = c.get('principal');
  return { id: p.id, name: p.name, ...(c.get('ssoUser') ? { sso: true } : {}) };
}
