import { createServer, request, type Server } from 'node:http';

/**
 * A proxy in front of an AWS JSON API peer (moto) that holds requests, by their `X-Amz-Target` action, until
 * the test lets them through: "a call is in flight" becomes a fact of the test, not a matter of timing.
 * The AWS JSON protocol names the action in that header (e.g. `AmazonEC2ContainerRegistry_V20150921.DescribeImages`).
 */
export interface GatedProxy {
  url: string;
  /** Every request in arrival order: its action (the part after the last dot) and its JSON body. */
  seen: Array<{ action: string; body: string }>;
  /** Requests waiting at the gate, in arrival order. */
  readonly held: Array<{ action: string }>;
  /** Lets held requests of `action` (of every action, when none is named) through, now and from then on. */
  open(action?: string): void;
  /** Holds every action again, from now on. */
  close(): void;
  stop(): Promise<void>;
}

/** `hold`: the actions held from the start (`'all'`, the default, holds every one). */
export async function startGatedProxy(
  upstream: string,
  opts: { hold?: 'all' | string[] } = {},
): Promise<GatedProxy> {
  const up = new URL(upstream);
  let holding: 'all' | Set<string> =
    opts.hold === undefined || opts.hold === 'all' ? 'all' : new Set(opts.hold);
  let waiting: Array<{ action: string; release: () => void }> = [];
  const holds = (action: string) => holding === 'all' || holding.has(action);

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const action = String(req.headers['x-amz-target'] ?? '').replace(/^.*\./, '');
      gate.seen.push({ action, body });
      const release = () => {
        const out = request(
          { host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers },
          (r) => {
            res.writeHead(r.statusCode ?? 502, r.headers);
            r.pipe(res);
          },
        );
        out.on('error', () => res.destroy());
        out.end(body);
      };
      if (holds(action)) waiting.push({ action, release });
      else release();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const gate: GatedProxy = {
    url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`,
    seen: [],
    get held() {
      return waiting.map(({ action }) => ({ action }));
    },
    open(action) {
      if (action === undefined) holding = new Set();
      else if (holding === 'all') throw new Error('open(action) needs a gate that holds named actions');
      else holding.delete(action);
      const go = waiting.filter((w) => !holds(w.action));
      waiting = waiting.filter((w) => holds(w.action));
      for (const w of go) w.release();
    },
    close() {
      holding = 'all';
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return gate;
}
