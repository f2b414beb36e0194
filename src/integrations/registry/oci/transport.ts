import { createRequire } from 'node:module';
import type * as Http from 'node:http';
import type * as Https from 'node:https';

/** The part of an HTTP answer the registry client reads. */
export interface TransportResponse {
  status: number;
  headers: { get(name: string): string | null };
  /** The body as it arrives; read it, or `cancel()` to drop the rest. */
  body: AsyncIterable<Uint8Array>;
  cancel(): void;
}

export interface TransportRequest {
  method: string;
  headers: Record<string, string>;
  signal: AbortSignal;
}

/**
 * One HTTP exchange, redirects not followed. The client needs no more than this, so a test can script
 * answers with a fetch-shaped function (`fetchTransport`) and production talks `node:http` directly.
 */
export type Transport = (url: string, init: TransportRequest) => Promise<TransportResponse>;

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** Adapts a fetch function (the tests' scripted registries, or the global `fetch`). */
export function fetchTransport(f: FetchLike): Transport {
  return async (url, init) => {
    const res = await f(url, { ...init, redirect: 'manual' });
    const reader = res.body?.getReader();
    return {
      status: res.status,
      headers: res.headers,
      body: chunks(reader),
      cancel: () => void reader?.cancel().catch(() => undefined),
    };
  };
}

async function* chunks(reader: ReadableStreamDefaultReader<Uint8Array> | undefined) {
  if (!reader) return;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

// Loaded with require: an ESM import of node:http builds its namespace by reading every export, and its
// lazy WebSocket getters then load undici, ≈ 45 ms of a CLI start on a 2-core machine (see
// docs/benchmarks.md, inspect). The same reason keeps the client off the global fetch.
const require = createRequire(import.meta.url);

/**
 * `node:http` / `node:https` with keep-alive agents of its own: registry calls come in bursts to one
 * host (manifest, config, referrers), so reusing connections matters more than anything else here.
 */
export function nodeTransport(): Transport {
  // Each loaded on first use: node:https brings TLS, which a plain-HTTP registry never needs.
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
          resolve({
            status: res.statusCode ?? 0,
            headers: {
              get: (name) => {
                const v = res.headers[name.toLowerCase()];
                return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
              },
            },
            body: res,
            cancel: () => res.destroy(),
          });
        },
      );
      req.on('error', reject);
      req.end();
    });
}
