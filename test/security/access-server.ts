import { request } from 'node:http';
import { afterAll, beforeAll, expect } from 'vitest';
import { startImagetrail, type ServerHandle } from '../helpers/imagetrail.js';
import { bareRemote } from '../helpers/git.js';

// The server the access tests (access-matrix, access-guessing) run against: a token of every kind and one
// integration. Failed authentications are slowed down per client address, so each failing credential is
// sent from its own loopback source address (127.0.x.y): see `freshAddress`.

const LOOP = 'http://127.0.0.1:9';

let remote: Awaited<ReturnType<typeof bareRemote>>;
/** Set by the set-up `useAccessServer` registers (an ES module binding: importers see the server). */
export let server: ServerHandle;
let port: number;
export const tokens: Record<'admin' | 'report' | 'runtime' | 'metrics' | 'viewer' | 'revoked', string> = {
  admin: '',
  viewer: '',
  report: '',
  runtime: '',
  metrics: '',
  revoked: '',
};

let nextAddress = 10;
/** A fresh loopback source address, so one test's auth failures never slow down another's. */
export function freshAddress(): string {
  const n = nextAddress++;
  return `127.0.${Math.floor(n / 250) + 1}.${(n % 250) + 2}`;
}

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: any;
  text: string;
  ms: number;
}

export function call(
  method: string,
  path: string,
  opts: { authorization?: string; body?: unknown; from?: string } = {},
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: Record<string, string> = {};
    if (opts.authorization !== undefined) headers['authorization'] = opts.authorization;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const started = performance.now();
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers,
        localAddress: opts.from ?? '127.0.0.1',
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            json,
            text,
            ms: performance.now() - started,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Starts the server for the calling test file (beforeAll) and stops it afterwards (afterAll): tokens of
 * every kind (one of them revoked) and the integration `acc-ecr`, pointing at a closed port.
 */
export function useAccessServer(): void {
  beforeAll(async () => {
    remote = await bareRemote();
    server = await startImagetrail({ configRepo: remote.url });
    port = Number(new URL(server.url).port);
    tokens.admin = server.adminToken;
    const admin = `Bearer ${tokens.admin}`;
    const mk = async (name: string, scopes: string[]) => {
      const r = await call('POST', '/api/v1/tokens', { authorization: admin, body: { name, scopes } });
      expect(r.status, r.text).toBe(201);
      return r.json as { id: string; token: string };
    };
    tokens.report = (await mk('matrix-report', ['report'])).token;
    tokens.runtime = (await mk('matrix-runtime', ['runtime:local'])).token;
    tokens.metrics = (await mk('matrix-metrics', ['metrics'])).token;
    tokens.viewer = (await mk('matrix-viewer', ['viewer'])).token;
    const revoked = await mk('matrix-revoked', ['admin']);
    tokens.revoked = revoked.token;
    expect(
      (await call('GET', '/api/v1/runtimes', { authorization: `Bearer ${tokens.revoked}` })).status,
    ).toBe(200);
    expect((await call('DELETE', `/api/v1/tokens/${revoked.id}`, { authorization: admin })).status).toBe(200);
    const ecr = await call('POST', '/api/v1/integrations', {
      authorization: admin,
      body: {
        name: 'acc-ecr',
        type: 'registry.ecr',
        sharing: { runtimes: ['local'] },
        skipTest: true,
        ecr: {
          region: 'us-east-1',
          auth: { mode: 'accessKey', accessKeyId: 'AKIAMATRIXMATRIX0000', secretAccessKey: 'matrix-secret' },
          endpoints: { api: LOOP, sts: LOOP, registry: LOOP },
        },
      },
    });
    expect(ecr.status, ecr.text).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await remote?.cleanup();
  });
}
