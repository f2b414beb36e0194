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
  signal: AbortSignal;
}

/**
 * Bytes of one control-plane answer the agent reads at most: a hostile or broken control plane (or proxy)
 * must not make it buffer without bound. Its largest answers (a claim's jobs, the configuration snapshot)
 * are far smaller; the control plane's own limit on what agents send is 4 MiB.
 */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** The agent's calls to the control plane over `node:http(s)` (integrations/node-http.ts: why not fetch). */
export function httpClient(
  opts: { maxResponseBytes?: number } = {},
): (url: string, init: HttpExchange) => Promise<HttpAnswer> {
  const limit = opts.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const forProtocol = keepAliveModules();
  return (url, init) =>
    new Promise((resolve, reject) => {
      const u = new URL(url);
      const { module, agent } = forProtocol(u.protocol);
      const tooLarge = () =>
        new PayloadTooLargeError(
          `The control plane's answer to ${init.method} ${u.pathname} is larger than the limit of ${limit} bytes.`,
        );
      const req = module.request(
        u,
        { method: init.method, headers: init.headers, agent, signal: init.signal },
        (res) => {
          // Over the limit: the connection is dropped (not reused), so the rest is never read.
          if (Number(res.headers['content-length'] ?? 0) > limit) {
            reject(tooLarge());
            return void req.destroy();
          }
          const parts: Buffer[] = [];
          let size = 0;
          res.on('data', (d: Buffer) => {
            size += d.length;
            if (size > limit) {
              reject(tooLarge());
              return void req.destroy();
            }
            parts.push(d);
          });
          res.on('error', reject);
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }),
          );
          // A connection cut mid-answer: settles the promise (a no-op once settled).
          res.on('close', () => {
            if (!res.complete)
              reject(Object.assign(new Error('connection closed mid-answer'), { code: 'ECONNRESET' }));
          });
        },
      );
      req.on('error', reject);
      req.end(init.body);
    });
}
