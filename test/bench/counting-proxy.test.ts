import { createServer, request, Agent, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startCountingProxy, type CountingProxy } from '../../bench/lib/proxy.js';

// The latency benchmarks' proxy stands in for AWS's endpoints, which keep connections alive; moto
// (werkzeug) answers `Connection: close`. A proxy must not pass hop-by-hop headers on (RFC 9110 §7.6.1).
describe('bench counting proxy', () => {
  let upstream: Server | undefined;
  let proxy: CountingProxy | undefined;
  afterEach(async () => {
    await proxy?.stop();
    await new Promise((r) => (upstream ? upstream.close(r) : r(undefined)));
  });

  it('keeps the client connection alive when the upstream answers Connection: close', async () => {
    upstream = createServer((_req, res) => {
      res.writeHead(200, { connection: 'close', 'content-type': 'application/json', 'content-length': '2' });
      res.end('{}');
    });
    await new Promise<void>((r) => upstream!.listen(0, '127.0.0.1', r));
    const port = (upstream.address() as { port: number }).port;
    proxy = await startCountingProxy(`http://127.0.0.1:${port}`);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    const get = () =>
      new Promise<string | undefined>((resolve, reject) => {
        const req = request(`${proxy!.url}/`, { agent }, (res) => {
          sockets.add(res.socket);
          res.resume();
          res.on('end', () => resolve(res.headers.connection));
        });
        req.on('error', reject);
        req.end();
      });
    try {
      expect(await get()).not.toBe('close');
      await new Promise((r) => setImmediate(r));
      await get();
      expect(sockets.size).toBe(1);
    } finally {
      agent.destroy();
    }
  });
});
