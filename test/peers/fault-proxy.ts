import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

// A reverse proxy in front of a real peer (the registry) that misbehaves on demand: answers with a status
// (429 / 503 …, with Retry-After), hangs, drops the connection, or redirects, for the next N requests, then
// forwards faithfully. Also a tiny static server playing S3 for redirect tests. Loopback only.

export type Fault =
  | { kind: 'status'; status: number; retryAfter?: string; body?: string; contentType?: string }
  /** Reads the request and never answers (until the client gives up or the proxy stops). */
  | { kind: 'hang' }
  /** Closes the socket without any response. */
  | { kind: 'drop' }
  /** Forwards the request, lets the peer answer, then closes the socket instead of passing the answer on. */
  | { kind: 'drop-response' }
  | { kind: 'redirect'; location: string; status?: number };

export interface SeenRequest {
  method: string;
  path: string;
  authorization?: string;
  fault?: Fault['kind'];
}

export interface FaultProxy {
  readonly url: string;
  readonly port: number;
  /** Queues faults for the next requests matching `match` (all requests by default), one fault per request. */
  inject(faults: Fault[], match?: (method: string, path: string) => boolean): void;
  /** Drops queued faults. */
  clear(): void;
  readonly requests: SeenRequest[];
  stop(): Promise<void>;
}

interface Rule {
  faults: Fault[];
  match: (method: string, path: string) => boolean;
}

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      const addr = server.address();
      if (addr === null || typeof addr === 'string') reject(new Error('no port'));
      else resolve(addr.port);
    });
  });
}

function trackSockets(server: Server): () => Promise<void> {
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

export async function startFaultProxy(target: string, opts: { host?: string } = {}): Promise<FaultProxy> {
  const upstream = new URL(target);
  const rules: Rule[] = [];
  const requests: SeenRequest[] = [];

  const forward = (req: IncomingMessage, res: ServerResponse, dropAnswer = false): void => {
    // The Host header stays as the client sent it: AWS SigV4 signs it, and moto checks the signature.
    const headers = { ...req.headers };
    const up = request(
      { hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
      (upRes) => {
        if (dropAnswer) {
          // The peer did the work and answered in full; the client never hears of it (a cut network).
          upRes.resume();
          upRes.on('end', () => res.destroy());
          return;
        }
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  };

  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const seen: SeenRequest = { method, path };
    if (req.headers.authorization) seen.authorization = req.headers.authorization;
    requests.push(seen);
    const rule = rules.find((r) => r.faults.length > 0 && r.match(method, path));
    const fault = rule?.faults.shift();
    if (!fault) {
      forward(req, res);
      return;
    }
    seen.fault = fault.kind;
    if (fault.kind === 'drop-response') {
      forward(req, res, true);
      return;
    }
    req.resume();
    switch (fault.kind) {
      case 'status': {
        const h: Record<string, string> = { 'content-type': fault.contentType ?? 'application/json' };
        if (fault.retryAfter !== undefined) h['retry-after'] = fault.retryAfter;
        const body =
          fault.body ??
          JSON.stringify({
            errors: [{ code: fault.status === 429 ? 'TOOMANYREQUESTS' : 'UNAVAILABLE', message: 'injected' }],
          });
        res.writeHead(fault.status, h);
        res.end(body);
        return;
      }
      case 'hang':
        return;
      case 'drop':
        req.socket.destroy();
        return;
      case 'redirect':
        res.writeHead(fault.status ?? 307, { location: fault.location });
        res.end();
        return;
    }
  });
  const stopServer = trackSockets(server);
  const host = opts.host ?? '127.0.0.1';
  const port = await listen(server, host);
  return {
    url: `http://${host}:${port}`,
    port,
    requests,
    inject(faults, match = () => true) {
      rules.push({ faults: [...faults], match });
    },
    clear() {
      rules.length = 0;
    },
    stop: stopServer,
  };
}

export interface StaticServer {
  readonly url: string;
  readonly requests: SeenRequest[];
  /** Serves `body` at `path` (query strings ignored, as a pre-signed URL's signature would be checked). */
  serve(path: string, body: Uint8Array, contentType: string): void;
  stop(): Promise<void>;
}

/**
 * Plays S3 behind an ECR-style redirect: answers 400 like S3 ("Only one auth mechanism allowed") when an
 * Authorization header arrives alongside a query-string signature, else serves the registered content.
 */
export async function startStaticServer(opts: { host?: string } = {}): Promise<StaticServer> {
  const content = new Map<string, { body: Uint8Array; contentType: string }>();
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const seen: SeenRequest = { method: req.method ?? 'GET', path: req.url ?? '/' };
    if (req.headers.authorization) seen.authorization = req.headers.authorization;
    requests.push(seen);
    if (req.headers.authorization) {
      res.writeHead(400, { 'content-type': 'application/xml' });
      res.end(
        '<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>',
      );
      return;
    }
    const c = content.get(url.pathname);
    if (!c) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': c.contentType, 'content-length': String(c.body.length) });
    res.end(c.body);
  });
  const stopServer = trackSockets(server);
  let host = opts.host ?? '127.0.0.2';
  let port: number;
  try {
    port = await listen(server, host);
  } catch {
    // Not every system routes all of 127/8 to loopback; another port is still another origin.
    host = '127.0.0.1';
    port = await listen(server, host);
  }
  return {
    url: `http://${host}:${port}`,
    requests,
    serve(path, body, contentType) {
      content.set(path, { body, contentType });
    },
    stop: stopServer,
  };
}
