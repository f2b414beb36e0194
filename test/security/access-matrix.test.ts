import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { call, freshAddress, server, tokens, useAccessServer } from './access-server.js';

// The access matrix: every API route × every kind of credential, against a real server. Failed
// authentications are slowed down per client address, so each failing credential is sent from its own
// loopback source address (127.0.x.y): the matrix measures the answers, and the slow-down test
// (access-guessing.test.ts) measures the delay from one address on its own. The tokens at rest are checked
// here, after the matrix, so the tables they scan hold what the matrix did with every token.

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

type Kind = 'admin-only' | 'report' | 'metrics';
interface Route {
  method: string;
  path: string;
  body?: unknown;
  kind: Kind;
  /** What an admin (and, on report routes, a report token) gets: the route works, or refuses the input. */
  ok: number;
  /** A viewer may use it although it is not a GET (the dashboard's sign-in). */
  viewer?: boolean;
}

const ROUTES: Route[] = [
  { method: 'GET', path: '/api/v1/runtimes', kind: 'admin-only', ok: 200 },
  { method: 'POST', path: '/api/v1/runtimes', body: {}, kind: 'admin-only', ok: 400 },
  { method: 'GET', path: '/api/v1/runtimes/local', kind: 'admin-only', ok: 200 },
  { method: 'GET', path: '/api/v1/integrations', kind: 'admin-only', ok: 200 },
  { method: 'POST', path: '/api/v1/integrations', body: {}, kind: 'admin-only', ok: 400 },
  { method: 'POST', path: '/api/v1/integrations/test', body: {}, kind: 'admin-only', ok: 400 },
  { method: 'GET', path: '/api/v1/integrations/acc-ecr', kind: 'admin-only', ok: 200 },
  {
    method: 'PATCH',
    path: '/api/v1/integrations/acc-ecr',
    body: { description: 'matrix', skipTest: true },
    kind: 'admin-only',
    ok: 200,
  },
  {
    method: 'DELETE',
    path: '/api/v1/integrations/no-such',
    body: { confirm: 'DELETE' },
    kind: 'admin-only',
    ok: 404,
  },
  { method: 'POST', path: '/api/v1/integrations/acc-ecr/test', kind: 'admin-only', ok: 422 },
  { method: 'GET', path: '/api/v1/config', kind: 'admin-only', ok: 200 },
  { method: 'POST', path: '/api/v1/config/sync', kind: 'admin-only', ok: 200 },
  { method: 'GET', path: '/api/v1/tokens', kind: 'admin-only', ok: 200 },
  { method: 'POST', path: '/api/v1/tokens', body: {}, kind: 'admin-only', ok: 400 },
  { method: 'DELETE', path: '/api/v1/tokens/tok_doesnotexist', kind: 'admin-only', ok: 404 },
  // The audit trail names who did what: admins only, not viewers.
  { method: 'GET', path: '/api/v1/audit', kind: 'admin-only', ok: 200 },
  { method: 'GET', path: '/api/v1/audit?action=token.*&limit=5', kind: 'admin-only', ok: 200 },
  { method: 'GET', path: '/api/v1/audit?limit=0', kind: 'admin-only', ok: 400 },
  { method: 'POST', path: '/api/v1/session', kind: 'admin-only', ok: 200, viewer: true },
  {
    method: 'POST',
    path: '/api/v1/image-reports',
    body: {
      image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:1',
      registryIntegration: 'acc-ecr',
    },
    kind: 'report',
    ok: 202,
  },
  { method: 'GET', path: '/api/v1/image-reports/rep_doesnotexist', kind: 'report', ok: 404 },
  { method: 'GET', path: '/api/v1/image-reports?status=failed', kind: 'report', ok: 200 },
  { method: 'GET', path: '/api/v1/images', kind: 'report', ok: 200 },
  { method: 'GET', path: '/api/v1/images/img_doesnotexist', kind: 'report', ok: 404 },
  { method: 'POST', path: '/api/v1/inspect', body: {}, kind: 'report', ok: 400 },
  { method: 'GET', path: '/metrics', kind: 'metrics', ok: 200 },
];

useAccessServer();

function bad(): Array<[string, string | undefined]> {
  const wrong = 'it_' + randomBytes(32).toString('base64url');
  return [
    ['no token', undefined],
    ['empty header', ''],
    ['"Bearer" alone', 'Bearer'],
    ['Basic credentials', 'Basic ' + Buffer.from('admin:admin').toString('base64')],
    ['two tokens', `Bearer ${tokens.admin} ${tokens.admin}`],
    ['token with a suffix', `Bearer ${tokens.admin}x`],
    ['token cut short', `Bearer ${tokens.admin.slice(0, -1)}`],
    ['wrong scheme', `Token ${tokens.admin}`],
    ['not a token', 'Bearer not-a-real-token'],
    ['wrong token', `Bearer ${wrong}`],
    ['revoked token', `Bearer ${tokens.revoked}`],
  ];
}

describe('the access matrix', () => {
  it('/healthz needs no token', async () => {
    const r = await call('GET', '/healthz');
    expect(r.status).toBe(200);
  });

  it(`every route (${ROUTES.length}) refuses missing, malformed, wrong and revoked tokens: 401 with WWW-Authenticate`, async () => {
    const failures: string[] = [];
    for (const route of ROUTES) {
      await Promise.all(
        bad().map(async ([label, authorization]) => {
          const r = await call(route.method, route.path, {
            ...(authorization === undefined ? {} : { authorization }),
            ...(route.body === undefined ? {} : { body: route.body }),
            from: freshAddress(),
          });
          const challenge = String(r.headers['www-authenticate'] ?? '');
          if (
            r.status !== 401 ||
            !/^Bearer /.test(challenge) ||
            r.json?.error?.name !== 'AuthenticationError'
          ) {
            failures.push(
              `${route.method} ${route.path} with ${label}: ${r.status} ${challenge} ${r.text.slice(0, 200)}`,
            );
          }
        }),
      );
    }
    expect(failures, failures.join('\n')).toEqual([]);
  });

  it('admin gets through on every route (2xx, or the 4xx its input deserves)', async () => {
    const failures: string[] = [];
    for (const route of ROUTES) {
      const r = await call(route.method, route.path, {
        authorization: `Bearer ${tokens.admin}`,
        ...(route.body === undefined ? {} : { body: route.body }),
      });
      if (r.status !== route.ok)
        failures.push(
          `${route.method} ${route.path}: ${r.status}, expected ${route.ok}: ${r.text.slice(0, 200)}`,
        );
    }
    expect(failures, failures.join('\n')).toEqual([]);
  });

  it('a report token: 403 naming the scope needed on admin and metrics routes, through on report routes', async () => {
    const failures: string[] = [];
    for (const route of ROUTES) {
      const r = await call(route.method, route.path, {
        authorization: `Bearer ${tokens.report}`,
        ...(route.body === undefined ? {} : { body: route.body }),
      });
      const want = route.kind === 'report' ? route.ok : 403;
      if (r.status !== want)
        failures.push(
          `${route.method} ${route.path}: ${r.status}, expected ${want}: ${r.text.slice(0, 200)}`,
        );
      const needed = route.kind === 'metrics' ? 'metrics' : 'admin';
      if (want === 403 && !(r.json?.error?.message ?? '').includes(`"${needed}"`))
        failures.push(`${route.method} ${route.path}: the 403 does not name the ${needed} scope`);
    }
    expect(failures, failures.join('\n')).toEqual([]);
  });

  it('a runtime:local token: 403 on admin routes and reads, and may report images for its own runtime only', async () => {
    const failures: string[] = [];
    for (const route of ROUTES) {
      const r = await call(route.method, route.path, {
        authorization: `Bearer ${tokens.runtime}`,
        ...(route.body === undefined ? {} : { body: route.body }),
      });
      // README: "runtime:<name> acts as that runtime"; the report service accepts it for that runtime.
      const want = route.method === 'POST' && route.path === '/api/v1/image-reports' ? 202 : 403;
      if (r.status !== want)
        failures.push(
          `${route.method} ${route.path}: ${r.status}, expected ${want}: ${r.text.slice(0, 240)}`,
        );
    }
    // Its own runtime only: another runtime's reports are refused.
    await call('POST', '/api/v1/runtimes', {
      authorization: `Bearer ${tokens.admin}`,
      body: { name: 'other', type: 'hybrid', version: '0.2.0' },
    });
    const other = await call('POST', '/api/v1/image-reports', {
      authorization: `Bearer ${tokens.runtime}`,
      body: {
        image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:1',
        registryIntegration: 'acc-ecr',
        runtime: 'other',
      },
    });
    if (other.status !== 403)
      failures.push(`report for runtime "other": ${other.status}, expected 403: ${other.text.slice(0, 200)}`);
    expect(failures, failures.join('\n')).toEqual([]);
  });

  it('a metrics token (a Prometheus server): /metrics only, 403 on every API route', async () => {
    const failures: string[] = [];
    for (const route of ROUTES) {
      const r = await call(route.method, route.path, {
        authorization: `Bearer ${tokens.metrics}`,
        ...(route.body === undefined ? {} : { body: route.body }),
      });
      const want = route.kind === 'metrics' ? route.ok : 403;
      if (r.status !== want)
        failures.push(
          `${route.method} ${route.path}: ${r.status}, expected ${want}: ${r.text.slice(0, 200)}`,
        );
    }
    expect(failures, failures.join('\n')).toEqual([]);
  });

  it('a viewer token: reads images, reports, runtimes and integrations, signs in; 403 on the audit trail, every mutation and the rest', async () => {
    const failures: string[] = [];
    const reads = /^\/api\/v1\/(images|image-reports|runtimes|integrations)([/?]|$)/;
    for (const route of ROUTES) {
      const r = await call(route.method, route.path, {
        authorization: `Bearer ${tokens.viewer}`,
        ...(route.body === undefined ? {} : { body: route.body }),
      });
      const want = (route.method === 'GET' && reads.test(route.path)) || route.viewer ? route.ok : 403;
      if (r.status !== want)
        failures.push(
          `${route.method} ${route.path}: ${r.status}, expected ${want}: ${r.text.slice(0, 200)}`,
        );
      // The secret access key is never shown (the key ID is an identifier, shown as to an admin).
      if (want !== 403 && r.text.includes('matrix-secret'))
        failures.push(`${route.method} ${route.path}: the answer holds the secret access key`);
    }
    expect(failures, failures.join('\n')).toEqual([]);
  });

  it('unknown API paths answer 401 without a token (no route discovery) and 404 with one', async () => {
    const anon = await call('GET', '/api/v1/secret-admin-thing', { from: freshAddress() });
    expect([401, 404]).toContain(anon.status);
    const authed = await call('GET', '/api/v1/secret-admin-thing', {
      authorization: `Bearer ${tokens.admin}`,
    });
    expect(authed.status).toBe(404);
  });
});

describe('tokens at rest', () => {
  it('the database holds sha256 hashes only, never a plaintext token (tables, WAL and raw bytes)', async () => {
    const file = join(server.dataDir, 'imagetrail.db');
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare('SELECT * FROM api_tokens').all() as Array<Record<string, unknown>>;
      expect(rows.length).toBeGreaterThanOrEqual(4);
      const hashes = new Set(rows.map((r) => r['token_hash']));
      for (const [kind, token] of Object.entries(tokens)) {
        expect(hashes.has(sha256(token)), `${kind} token is stored as its sha256`).toBe(true);
        for (const row of rows) {
          for (const v of Object.values(row)) expect(String(v)).not.toContain(token);
        }
        // No other table holds it either (audit events, reports, …).
        const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{
          name: string;
        }>;
        for (const { name } of tables) {
          const dump = JSON.stringify(db.prepare(`SELECT * FROM "${name}"`).all());
          expect(dump, `table ${name}`).not.toContain(token);
        }
      }
      for (const row of rows) expect(String(row['token_hash'])).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      db.close();
    }
    for (const suffix of ['', '-wal', '-shm']) {
      const raw = await readFile(file + suffix).catch(() => Buffer.alloc(0));
      for (const token of Object.values(tokens))
        expect(raw.includes(Buffer.from(token)), `imagetrail.db${suffix}`).toBe(false);
    }
  });

  it('the token list never shows a token or its hash', async () => {
    const r = await call('GET', '/api/v1/tokens', { authorization: `Bearer ${tokens.admin}` });
    expect(r.status).toBe(200);
    for (const t of Object.values(tokens)) {
      expect(r.text).not.toContain(t);
      expect(r.text).not.toContain(sha256(t));
    }
  });
});
