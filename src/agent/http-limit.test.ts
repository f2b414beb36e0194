import { createServer, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { PayloadTooLargeError } from '../domain/errors.js';
import { httpClient, MAX_RESPONSE_BYTES } from './http.js';
import { AgentTransport } from './transport.js';

// A hostile or broken control plane (or a proxy in front of it) must not make the agent buffer without
// bound: each answer is read up to a limit, and one over it fails naming the limit.

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

/** A server whose every answer is `answer(res)`; `closed` resolves when the client drops a connection. */
async function serve(answer: (res: ServerResponse) => void): Promise<{ url: string; closed: Promise<void> }> {
  let dropped!: () => void;
  const closed = new Promise<void>((r) => (dropped = r));
  const server = createServer((req, res) => {
    req.resume();
    res.on('close', () => {
      if (!res.writableFinished) dropped();
    });
    answer(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(
    () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, closed };
}

/** Writes 64 KiB chunks until the client goes away: an answer with no end. */
function endless(res: ServerResponse): void {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  res.writeHead(200, { 'content-type': 'application/json' });
  const more = () => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once('drain', more);
  };
  more();
}

const get = () => ({ method: 'GET', headers: {}, timeoutMs: 30_000 });

describe('the agent’s HTTP client to the control plane', () => {
  it('reads an answer up to the limit', async () => {
    const { url } = await serve((res) => res.end('y'.repeat(1000)));
    const answer = await httpClient({ maxResponseBytes: 1000 })(url + '/ok', get());
    expect(answer).toEqual({ status: 200, text: 'y'.repeat(1000) });
  });

  it('refuses an answer whose Content-Length is over the limit, without reading it', async () => {
    const { url, closed } = await serve((res) => {
      res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
      res.write('z'.repeat(1000));
    });
    const err = await httpClient({ maxResponseBytes: 1000 })(url + '/big', get()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect((err as Error).message).toContain('1000 bytes');
    expect((err as Error).message).toContain('GET');
    await closed;
  });

  it('stops reading an answer with no length once it passes the limit, and drops the connection', async () => {
    const { url, closed } = await serve(endless);
    const err = await httpClient({ maxResponseBytes: 256 * 1024 })(url + '/endless', get()).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect((err as Error).message).toContain(`${256 * 1024} bytes`);
    await closed;
  });

  it('AgentTransport: an endless answer fails with the limit (default 16 MiB), not as "cannot reach"', async () => {
    expect(MAX_RESPONSE_BYTES).toBe(16 * 1024 * 1024);
    const { url, closed } = await serve(endless);
    const err = await new AgentTransport(url, 'token')
      .call(z.object({}), 'GET', '/api/v1/agent/snapshot')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect((err as Error).message).toContain(`${MAX_RESPONSE_BYTES} bytes`);
    await closed;
  });
});
