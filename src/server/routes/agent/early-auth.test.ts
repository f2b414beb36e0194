import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../logging/logger.js';
import { Redactor } from '../../../logging/redactor.js';
import { FakeTokenStore } from '../../../store/fake-token-store.js';
import type { AppEnv } from '../../app.js';
import { errorHandler } from '../../error-handler.js';
import { listenHttp } from '../../listen.js';
import { agentRoutes } from './index.js';

// Threat model, a hostile network peer on the agent routes (ADR 0040): a completion's body is read only
// after its token was checked. A request without a valid runtime credential is answered 401 from its
// headers alone: nothing of its (chunked, never-ending) body is read or kept.

let server: ServerType;
let port: number;

beforeAll(async () => {
  const redactor = new Redactor();
  const app = new Hono<AppEnv>();
  app.onError(errorHandler({ logger: createLogger(redactor, { level: 'silent' }), redactor }));
  app.route('/api/v1/agent', agentRoutes({ tokens: new FakeTokenStore() }));
  server = await listenHttp(app.fetch, 0, '127.0.0.1');
  port = (server.address() as AddressInfo).port;
});

afterAll(() => {
  (server as unknown as { closeAllConnections(): void }).closeAllConnections();
  return new Promise<void>((r) => server.close(() => r()));
});

describe('agent routes, a completion from a stranger', () => {
  it('is refused 401 from its headers, before any body byte', async () => {
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        {
          port,
          host: '127.0.0.1',
          method: 'POST',
          path: '/api/v1/agent/jobs/r-1/complete',
          headers: { authorization: 'Bearer it_not-a-real-token', 'content-type': 'application/json' },
        },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => {
            req.destroy();
            resolve({ status: res.statusCode ?? 0, text });
          });
        },
      );
      req.on('error', reject);
      // Headers only; the body never comes.
      req.flushHeaders();
    });
    expect(answer.status).toBe(401);
    expect(answer.text).toContain('not valid');
  });
});
