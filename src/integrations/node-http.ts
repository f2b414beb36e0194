import { createRequire } from 'node:module';
import type * as Http from 'node:http';
import type * as Https from 'node:https';

// Loaded with require: an ESM import of node:http builds its namespace by reading every export, and its
// lazy WebSocket getters then load undici — ≈ 45 ms of a CLI start on a 2-core machine and 15–25 MB of an
// idle agent's RSS (docs/benchmarks.md, "inspect" and "Runtime agent"). The same reason keeps the
// registry client and the agent off the global fetch.
const require = createRequire(import.meta.url);

export interface KeepAliveModule {
  module: typeof Http | typeof Https;
  agent: Http.Agent;
}

/**
 * `node:http` or `node:https` for a URL's protocol, each loaded on first use (node:https brings TLS, which a
 * plain-HTTP peer never needs) with a keep-alive agent of its own, kept for the caller's lifetime.
 */
export function keepAliveModules(): (protocol: string) => KeepAliveModule {
  let plain: KeepAliveModule | undefined;
  let secure: KeepAliveModule | undefined;
  const load = (module: typeof Http | typeof Https): KeepAliveModule => ({
    module,
    agent: new module.Agent({ keepAlive: true }),
  });
  return (protocol) =>
    protocol === 'https:'
      ? (secure ??= load(require('node:https') as typeof Https))
      : (plain ??= load(require('node:http') as typeof Http));
}

/** `node:http`'s createServer, without the ESM import that would load undici (see above). */
export function createHttpServer(listener: Http.RequestListener): Http.Server {
  return (require('node:http') as typeof Http).createServer(listener);
}
