import { serve as honoServe, type ServerType } from '@hono/node-server';
import { InputError } from '../domain/errors.js';

/** Listens on host:port; a port in use or not allowed is the operator's choice to fix, not a bug. */
export function listenHttp(
  fetch: (req: Request) => Response | Promise<Response>,
  port: number,
  host: string,
): Promise<ServerType> {
  return new Promise((ok, fail) => {
    const s = honoServe({ fetch, port, hostname: host }, () => ok(s));
    s.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        fail(
          new InputError(`port ${port} on ${host} is already in use by another program`, {
            hints: [
              'Choose another port with --port N (or IMAGETRAIL_PORT=N); --port 0 picks a free one.',
              `Or stop what listens there (e.g. ss -ltnp 'sport = :${port}').`,
            ],
          }),
        );
      } else if (err.code === 'EACCES') {
        fail(
          new InputError(`not allowed to listen on port ${port} on ${host}`, {
            hints: ['Ports below 1024 need privileges; choose another with --port N (or IMAGETRAIL_PORT=N).'],
          }),
        );
      } else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') {
        fail(
          new InputError(`cannot listen on ${host}: no such local address`, {
            hints: ['Use --host 127.0.0.1 (or an address of this machine), or IMAGETRAIL_HOST.'],
          }),
        );
      } else fail(err);
    });
  });
}
