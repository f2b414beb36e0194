import { PayloadTooLargeError } from '../domain/errors.js';
import { keepAliveModules } from '../integrations/node-http.js';

export interface HttpAnswer {
  status: number;
  text: string;
}

export interface HttpExchange {
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** The whole exchange (connect, send, answer) ends with an error after this long. */
  timeoutMs: number;
  /** Ends the exchange early (the agent stops). */
  signal?: AbortSignal | undefined;
}

/**
 * Bytes of one control-plane answer the agent reads at most: a hostile or broken control plane (or proxy)
 * must not make it buffer without bound. Its largest answers (a claim's jobs, the configuration snapshot)
 * are far smaller; the control plane's own limit on what agents send is 4 MiB.
 */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/**
 * The agent's calls to the control plane over `node:http(s)` (integrations/node-http.ts: why not fetch).
 * The deadline is a timer and the stop signal one listener, taken off when the exchange ends: an
 * AbortSignal.timeout (joined with AbortSignal.any) given to the request cost ≈ 60 µs more CPU per call on
 * a loaded 2-core machine, on each claim and completion of a report.
 */
export function httpClient(
  opts: { maxResponseBytes?: number } = {},
): (url: string, init: HttpExchange) => Promise<HttpAnswer> {
  const limit = opts.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const forProtocol = keepAliveModules();
  return (url, init) =>
    new Promise((resolve, reject) => {
      const u = new URL(url);
      const { module, agent } = forProtocol(u.protocol);
      const { signal } = init;
      const end = (settle: () => void) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', stop);
        settle();
      };
      const tooLarge = () =>
        new PayloadTooLargeError(
          `The control plane's answer to ${init.method} ${u.pathname} is larger than the limit of ${limit} bytes.`,
        );
      const req = module.request(u, { method: init.method, headers: init.headers, agent }, (res) => {
        // Over the limit: the connection is dropped (not reused), so the rest is never read.
        if (Number(res.headers['content-length'] ?? 0) > limit) {
          end(() => reject(tooLarge()));
          return void req.destroy();
        }
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (d: Buffer) => {
          size += d.length;
          if (size > limit) {
            end(() => reject(tooLarge()));
            return void req.destroy();
          }
          parts.push(d);
        });
        res.on('error', (err) => end(() => reject(err)));
        res.on('end', () =>
          end(() => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') })),
        );
        // A connection cut mid-answer: settles the promise (a no-op once settled).
        res.on('close', () => {
          if (!res.complete)
            end(() =>
              reject(Object.assign(new Error('connection closed mid-answer'), { code: 'ECONNRESET' })),
            );
        });
      });
      const fail = (err: Error) => req.destroy(err);
      const timer = setTimeout(
        () => fail(codedError(`no answer within ${init.timeoutMs} ms`, 'ETIMEDOUT')),
        init.timeoutMs,
      );
      const stop = () => fail(codedError('the agent is stopping', 'ABORT_ERR', 'AbortError'));
      if (signal?.aborted) stop();
      else signal?.addEventListener('abort', stop, { once: true });
      req.on('error', (err) => end(() => reject(err)));
      req.end(init.body);
    });
}

function codedError(message: string, code: string, name?: string): Error {
  return Object.assign(new Error(message), { code }, name ? { name } : {});
}
