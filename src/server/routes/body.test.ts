import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../logging/logger.js';
import { Redactor } from '../../logging/redactor.js';
import { errorHandler } from '../error-handler.js';
import { listenHttp } from '../listen.js';
import { jsonBody, limitBody } from './body.js';

// Through @hono/node-server on loopback, as the server runs: its lightweight request is what limitBody spares.
let server: ServerType;
let port: number;
/** Resolved when the `/early` handler starts. */
let handlerStarted: () => void = () => undefined;
/** What jsonBody said on `/cut` and `/cut-late`, as each handler settles. */
const cuts = new Map<string, (said: unknown) => void>();
const cutSaid = (path: string) => new Promise<unknown>((r) => cuts.set(path, r));

beforeAll(async () => {
  const redactor = new Redactor();
  const app = new Hono();
  app.onError(errorHandler({ logger: createLogger(redactor, { level: 'silent' }), redactor }));
  app.use('/echo', limitBody(64));
  // Routes that read their body with jsonBody, which counts a chunked one as it reads it (ADR 0040).
  for (const path of ['/early', '/cut', '/cut-late', '/counted'])
    app.use(path, limitBody(64, { countInJsonBody: true }));
  // As the token check does on the agent routes: the body is read only after an await.
  app.use('/cut-late', async (_c, next) => {
    await new Promise((r) => setTimeout(r, 100));
    await next();
  });
  app.post('/counted', async (c) => c.json({ body: await jsonBody(c) }));
  app.post('/early', async (c) => {
    handlerStarted();
    return c.json({ body: await jsonBody(c) });
  });
  for (const path of ['/cut', '/cut-late'])
    app.post(path, async (c) => {
      cuts.get(path)?.(await jsonBody(c).catch((err: unknown) => err));
      return c.json({});
    });
  app.post('/echo', async (c) => {
    const body = await jsonBody(c);
    // @hono/node-server builds a full web Request (symbol `requestCache`) only when something asks for it.
    const materialized = Object.getOwnPropertySymbols(c.req.raw).some(
      (s) => s.description === 'requestCache',
    );
    return c.json({ body, materialized });
  });
  server = await listenHttp(app.fetch, 0, '127.0.0.1');
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** POSTs `chunks`: one write with a Content-Length, or several without one (chunked). */
function post(chunks: string[], chunked = false, path = '/echo'): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const body = chunks.join('');
    const req = request(
      {
        port,
        host: '127.0.0.1',
        method: 'POST',
        path,
        headers: {
          'content-type': 'application/json',
          ...(chunked ? {} : { 'content-length': Buffer.byteLength(body) }),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe('limitBody', () => {
  it('passes a body of declared length within the limit, read without building a web Request', async () => {
    const res = await post(['{"a":', '"b"}']);
    expect(res).toEqual({ status: 200, json: { body: { a: 'b' }, materialized: false } });
  });

  it('refuses a declared length over the limit (413)', async () => {
    const res = await post([JSON.stringify({ a: 'x'.repeat(100) })]);
    expect(res.status).toBe(413);
    expect(JSON.stringify(res.json)).toContain('larger than 64 bytes');
  });

  it('counts a chunked body: within the limit it passes, over it 413', async () => {
    expect((await post(['{"a":', '"b"}'], true)).json).toMatchObject({ body: { a: 'b' } });
    const over = await post(['{"a":"', 'x'.repeat(40), 'x'.repeat(40), '"}'], true);
    expect(over.status).toBe(413);
  });
});

describe('jsonBody', () => {
  it('counts a chunked body as it reads it where the route says so: within the limit it passes, over it 413', async () => {
    expect(await post(['{"a":', '"b"}'], true, '/counted')).toEqual({
      status: 200,
      json: { body: { a: 'b' } },
    });
    const over = await post(['{"a":"', 'x'.repeat(40), 'x'.repeat(40), '"}'], true, '/counted');
    expect(over.status).toBe(413);
    expect(JSON.stringify(over.json)).toContain('larger than 64 bytes');
  });

  it('lets the handler start before a chunked body has come (ADR 0040), and counts it as it reads', async () => {
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request({ port, host: '127.0.0.1', method: 'POST', path: '/early' }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.flushHeaders();
      const started = new Promise<boolean>((r) => (handlerStarted = () => r(true)));
      const gaveUp = new Promise<boolean>((r) => setTimeout(() => r(false), 10_000).unref());
      void Promise.race([started, gaveUp]).then((first) =>
        req.end(first ? '{"a":"b"}' : '{"handler":"waited for the body"}'),
      );
    });
    expect(await answer).toEqual({ status: 200, text: JSON.stringify({ body: { a: 'b' } }) });
  });

  it.each([
    ['while it is read', '/cut'],
    ['before it is read (while an earlier handler waits)', '/cut-late'],
  ])('says a chunked body was cut off %s, and the server goes on', async (_when, path) => {
    const said = cutSaid(path);
    const req = request({ port, host: '127.0.0.1', method: 'POST', path });
    req.on('error', () => undefined);
    req.write('{"a":');
    await new Promise((r) => setTimeout(r, 30));
    req.destroy();
    expect(await said).toMatchObject({ message: expect.stringContaining('cut off before its end') });
    expect((await post(['{"a":', '"b"}'], true)).status).toBe(200);
  });
});
