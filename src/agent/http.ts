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

/** The agent's calls to the control plane over `node:http(s)` (integrations/node-http.ts: why not fetch). */
export function httpClient(): (url: string, init: HttpExchange) => Promise<HttpAnswer> {
  const forProtocol = keepAliveModules();
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
