import { keepAliveModules } from '../../node-http.js';

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

/**
 * `node:http` / `node:https` with keep-alive agents of its own: registry calls come in bursts to one
 * host (manifest, config, referrers), so reusing connections matters more than anything else here.
 */
export function nodeTransport(): Transport {
  const forProtocol = keepAliveModules();
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
