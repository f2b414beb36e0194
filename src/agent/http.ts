import { createRequire } from 'node:module';
import type * as Http from 'node:http';
import type * as Https from 'node:https';

// Loaded with require, and the agent stays off the global fetch: fetch is Node's bundled undici, and an ESM
// import of node:http reads its lazy WebSocket getters, which load undici too. Undici resident is about
// 15–25 MB of an idle agent's RSS (docs/benchmarks.md, "Runtime agent"), against an 80 MB budget.
const require = createRequire(import.meta.url);

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

/** `node:http` or `node:https`, each loaded on first use with a keep-alive agent of its own. */
export function httpClient(): (url: string, init: HttpExchange) => Promise<HttpAnswer> {
  let plain: { module: typeof Http; agent: Http.Agent } | undefined;
  let secure: { module: typeof Https; agent: Http.Agent } | undefined;
  const load = <M extends typeof Http | typeof Https>(module: M) => ({
    module,
    agent: new module.Agent({ keepAlive: true }),
  });
  const forProtocol = (protocol: string) =>
    protocol === 'https:'
      ? (secure ??= load(require('node:https') as typeof Https))
      : (plain ??= load(require('node:http') as typeof Http));
  return (url, init) =>
    new Promise((resolve, reject) => {
      const u = new URL(url);
      const { module, agent } = forProtocol(u.protocol);
      const req = module.request(
        u,
        { method: init.method, headers: init.headers, agent, signal: init.signal },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (d: Buffer) => parts.push(d));
          res.on('error', reject);
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }),
          );
          // A connection cut mid-answer: settles the promise (a no-op once resolved).
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

/** `node:http`'s createServer, without the ESM import that would load undici (see above). */
export function createHttpServer(listener: Http.RequestListener): Http.Server {
  return (require('node:http') as typeof Http).createServer(listener);
}
