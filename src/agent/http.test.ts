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

describe('an opened request (headers now, body later)', () => {
  const http = httpClient();
  const seen: string[] = [];
  let early: Server;
  let earlyBase: string;

  beforeAll(async () => {
    // Records when each request's headers arrive and how it ended; `/refuse` answers before any body.
    early = createServer((req, res) => {
      seen.push(`start ${req.url}`);
      req.socket.once('close', () => seen.push(`closed ${req.url}`));
      if (req.url === '/refuse') {
        res.statusCode = 401;
        return void res.end('{}');
      }
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen.push(`body ${req.url} ${body}`);
        res.end(JSON.stringify({ body }));
      });
      req.on('close', () => {
        if (!req.complete) seen.push(`cut ${req.url}`);
      });
    });
    await new Promise<void>((r) => early.listen(0, '127.0.0.1', r));
    earlyBase = `http://127.0.0.1:${(early.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    early.closeAllConnections();
    await new Promise<void>((r) => early.close(() => r()));
  });

  const until = async (what: string) => {
    for (let i = 0; i < 200 && !seen.includes(what); i++) await new Promise((r) => setTimeout(r, 5));
    expect(seen).toContain(what);
  };
  const init = { method: 'POST', headers: { 'content-type': 'application/json' } };

  it('reaches the server before its body, which is sent when asked for', async () => {
    const opened = http.open(`${earlyBase}/done`, init, 10_000);
    await until('start /done');
    expect(seen).not.toContain('body /done {"a":1}');
    const res = await opened.send('{"a":1}', 5000);
    expect(res).toEqual({ status: 200, text: JSON.stringify({ body: '{"a":1}' }) });
    expect(seen).toContain('body /done {"a":1}');
  });

  it('ends unsent when held open too long, and says so instead of sending', async () => {
    const opened = http.open(`${earlyBase}/held`, init, 50);
    await until('cut /held');
    await expect(opened.send('{"a":2}', 5000)).rejects.toMatchObject({ code: 'EXCHANGE_ENDED' });
    expect(seen.some((s) => s.startsWith('body /held'))).toBe(false);
  });

  it('ends unsent when the server answered before the body', async () => {
    const opened = http.open(`${earlyBase}/refuse`, init, 10_000);
    await until('start /refuse');
    await new Promise((r) => setTimeout(r, 50));
    await expect(opened.send('{"a":3}', 5000)).rejects.toMatchObject({ code: 'EXCHANGE_ENDED' });
    // Unfinished, its connection cannot carry another request: closed by the agent, not left to the server.
    await until('closed /refuse');
  });

  it('is cut off when abandoned, and sends nothing after', async () => {
    const opened = http.open(`${earlyBase}/dropped`, init, 10_000);
    await until('start /dropped');
    opened.abandon();
    await until('cut /dropped');
    await expect(opened.send('{"a":4}', 5000)).rejects.toMatchObject({ code: 'EXCHANGE_ENDED' });
  });
});
