import { createServer } from 'node:net';

/**
 * A port free on 127.0.0.1 right now. For peers that cannot listen on port 0 and report back (moto,
 * distribution); there is a small race between closing and the peer binding, acceptable in tests.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('could not read the bound port'));
        return;
      }
      const { port } = addr;
      srv.close(() => resolve(port));
    });
  });
}
