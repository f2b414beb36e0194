import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/imagetrail.js';

/**
 * A server of another version (here: a loopback HTTP server answering as one would) whose answers lack a
 * field the CLI reads: every command parses the answer with the shared contract and names the field,
 * instead of printing `undefined` or crashing on it.
 */
const ANSWERS: Record<string, unknown> = {
  // `scopes` is missing from the token.
  '/api/v1/tokens': {
    items: [{ id: 't1', name: 'ci', createdAt: '2030-01-01T00:00:00Z', lastUsedAt: null, revokedAt: null }],
  },
  // `steps` is missing from the report.
  '/api/v1/image-reports/r1': {
    id: 'r1',
    status: 'succeeded',
    attempts: 1,
    image: 'reg.example/app:1',
    runtime: null,
    createdAt: '2030-01-01T00:00:00Z',
    updatedAt: '2030-01-01T00:00:00Z',
  },
  // `inProcess` is a string.
  '/api/v1/runtimes': {
    items: [
      { name: 'local', type: 'hybrid', version: '1', recipient: 'age1x', inProcess: 'yes', integrations: [] },
    ],
  },
};

let server: Server;
let url = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const body = ANSWERS[(req.url ?? '').replace(/\?.*$/, '')];
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? { error: { name: 'NotFoundError', message: 'no such path' } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('a server answer that does not match the contract', () => {
  it.each([
    [['token', 'list'], 'GET /api/v1/tokens', 'items[0].scopes'],
    [['reports', 'show', 'r1'], 'GET /api/v1/image-reports/r1', 'steps'],
    [['runtime', 'list', '--json'], 'GET /api/v1/runtimes', 'items[0].inProcess'],
  ])('imagetrail %j names the request and the field, and exits 1', async (args, what, field) => {
    const r = await cli({ url, adminToken: 'it_any' }, args);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`The server's answer to ${what} does not match what this CLI expects`);
    expect(r.stderr).toContain(`${field}:`);
    expect(r.stderr).toContain('same imagetrail version');
  });
});
