import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Socket } from 'node:net';

// A counting reverse proxy, forwarding like test/peers/fault-proxy.ts but recording the header that names
// an AWS JSON-protocol action (X-Amz-Target: every ECR call is `POST /`, so the path says nothing) and the
// status. fault-proxy records method, path and Authorization only.

export interface Seen {
  method: string;
  path: string;
  target?: string;
  status?: number;
  /** performance.now() when the request arrived, was sent upstream, its answer began, and its answer ended. */
  at: number;
  forwardedAt?: number;
  answeredAt?: number;
  endedAt?: number;
  /** Which upstream served it (an index into the targets). */
  upstream?: number;
}

export interface CountingProxy {
  readonly url: string;
  readonly requests: Seen[];
  reset(): void;
  stop(): Promise<void>;
}

/**
 * `delayMs`: each request waits this long before it is forwarded (an injected round trip). Several targets
 * (identical moto replicas, bench/lib/moto-pool.ts): each request goes to the one with the fewest requests
 * in flight, ties in turn, as a load balancer in front of a service that serves requests concurrently.
 */
export async function startCountingProxy(
  target: string | string[],
  opts: { delayMs?: number } = {},
): Promise<CountingProxy> {
  const upstreams = (Array.isArray(target) ? target : [target]).map((t) => new URL(t));
  const inFlight = upstreams.map(() => 0);
  let turn = 0;
  const pick = (): number => {
    const least = Math.min(...inFlight);
    for (let k = 0; k < upstreams.length; k++) {
      const i = (turn + k) % upstreams.length;
      if (inFlight[i] === least) {
        turn = i + 1;
        return i;
      }
    }
    return 0;
  };
  const requests: Seen[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const seen: Seen = { method: req.method ?? 'GET', path: req.url ?? '/', at: performance.now() };
    const t = req.headers['x-amz-target'];
    if (typeof t === 'string') seen.target = t.replace(/^.*\./, '');
    requests.push(seen);
    if (opts.delayMs) req.pause();
    const forward = () => {
      const i = pick();
      const upstream = upstreams[i]!;
      inFlight[i]!++;
      seen.upstream = i;
      seen.forwardedAt = performance.now();
      const done = () => {
        if (seen.endedAt !== undefined) return;
        seen.endedAt = performance.now();
        inFlight[i]!--;
      };
      const up = request(
        {
          hostname: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (upRes) => {
          seen.status = upRes.statusCode;
          seen.answeredAt = performance.now();
          res.writeHead(upRes.statusCode ?? 502, endToEnd(upRes.headers));
          upRes.on('end', done);
          upRes.on('close', done);
          upRes.pipe(res);
        },
      );
      up.on('error', () => {
        done();
        res.destroy();
      });
      req.pipe(up);
      req.resume();
    };
    if (opts.delayMs) setTimeout(forward, opts.delayMs);
    else forward();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      if (a && typeof a === 'object') resolve(a.port);
      else reject(new Error('no port'));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reset: () => void (requests.length = 0),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** What a registry request was: manifest, blob, tags, ping, referrers, other. */
export function registryKind(s: Seen): string {
  const p = s.path.split('?')[0]!;
  if (p === '/v2/' || p === '/v2') return 'ping';
  if (/\/manifests\//.test(p)) return 'manifest';
  if (/\/blobs\//.test(p)) return 'blob';
  if (/\/tags\/list$/.test(p)) return 'tags';
  if (/\/referrers\//.test(p)) return 'referrers';
  return 'other';
}

export function countBy<T>(items: T[], key: (t: T) => string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) {
    const k = key(i) ?? '?';
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/**
 * The answer's headers without the hop-by-hop ones (RFC 9110 §7.6.1: a proxy must not forward them).
 * moto (werkzeug) answers `Connection: close`; passed on, every ECR call of the client under test would
 * open a new connection, which AWS's endpoints (keep-alive) do not make it do.
 */
function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const out: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (['connection', 'keep-alive', 'proxy-connection', ...named].includes(k.toLowerCase())) continue;
    out[k] = v;
  }
  return out;
}
