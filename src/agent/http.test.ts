import { getEventListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpClient } from './http.js';

let server: Server;
let base: string;

beforeAll(async () => {
  // `/slow` never answers (a long-poll with no work); everything else echoes the body.
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (req.url === '/slow') return;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, body }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('the agent http client', () => {
  const http = httpClient();
  const post = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' };

  it('answers, and leaves no listener on the stop signal', async () => {
    const stop = new AbortController();
    const res = await http(`${base}/echo`, { ...post, timeoutMs: 5000, signal: stop.signal });
    expect(res).toEqual({ status: 200, text: JSON.stringify({ method: 'POST', body: '{"a":1}' }) });
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });

  it('gives up after its deadline', async () => {
    await expect(http(`${base}/slow`, { ...post, timeoutMs: 100 })).rejects.toMatchObject({
      code: 'ETIMEDOUT',
    });
  });

  it('ends when the agent stops, and at once when it stopped already', async () => {
    const stop = new AbortController();
    const waiting = http(`${base}/slow`, { ...post, timeoutMs: 60_000, signal: stop.signal });
    setTimeout(() => stop.abort(), 50);
    await expect(waiting).rejects.toMatchObject({ code: 'ABORT_ERR' });
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
    await expect(
      http(`${base}/echo`, { ...post, timeoutMs: 60_000, signal: stop.signal }),
    ).rejects.toMatchObject({ code: 'ABORT_ERR' });
  });
});
