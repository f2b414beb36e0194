import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.js';
import { Redactor } from '../logging/redactor.js';
import { openDatabase } from '../store/database.js';
import { FakeTokenStore } from '../store/fake-token-store.js';
import { migrateToLatest } from '../store/migrations/index.js';
import { SqlTokenStore } from '../store/sql-token-store.js';
import { bearerAuth, requireScope, type AuthClock, type AuthEnv, type BearerAuthOptions } from './auth.js';
import { errorHandler } from './error-handler.js';

/** Time that only moves when the code under test sleeps; records every sleep. */
function fakeClock(): AuthClock & { sleeps: number[] } {
  let t = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: (ms) => {
      sleeps.push(ms);
      t += ms;
      return Promise.resolve();
    },
  };
}

function buildApp(tokens: BearerAuthOptions['tokens'], opts: Partial<BearerAuthOptions> = {}) {
  const redactor = new Redactor();
  const app = new Hono<AuthEnv>();
  app.onError(errorHandler({ logger: createLogger(redactor, { level: 'silent' }), redactor }));
  app.use(
    '/api/*',
    bearerAuth({ tokens, clientAddress: (c) => c.req.header('x-test-client') ?? 'a', ...opts }),
  );
  app.get('/api/whoami', (c) => c.json(c.get('principal')));
  app.post('/api/reports', requireScope('report'), (c) => c.json({ ok: true }));
  app.get(
    '/api/runtimes/:name/jobs',
    requireScope((c) => `runtime:${c.req.param('name') ?? ''}`),
    (c) => c.json({ ok: true }),
  );
  return app;
}

const bearer = (token: string, client = 'a') => ({
  headers: { Authorization: `Bearer ${token}`, 'x-test-client': client },
});

interface ErrorJson {
  error: { name: string; message: string; hints: string[]; id: string };
}

describe('bearerAuth', () => {
  it('takes a raw "Authorization: <token>" only where rawToken is set (the Codefresh client endpoints)', async () => {
    const tokens = new FakeTokenStore();
    const { token } = await tokens.create({ name: 'ci', scopes: ['report'] });
    const raw = { headers: { Authorization: token, 'x-test-client': 'raw' } };
    const api = await buildApp(tokens, { clock: fakeClock() }).request('/api/whoami', raw);
    expect(api.status).toBe(401);
    expect(((await api.json()) as ErrorJson).error.message).toBe(
      'The Authorization header is not a bearer token.',
    );
    const compat = buildApp(tokens, { clock: fakeClock(), rawToken: true });
    expect((await compat.request('/api/whoami', raw)).status).toBe(200);
    expect((await compat.request('/api/whoami', bearer(token))).status).toBe(200);
    const clock = fakeClock();
    const wrong = await buildApp(tokens, { clock, rawToken: true }).request('/api/whoami', {
      headers: { Authorization: 'not-a-token' },
    });
    expect(wrong.status).toBe(401);
    expect(clock.sleeps).toHaveLength(1); // a wrong raw token is slowed down like a wrong bearer token
  });

  it('sets the principal for a valid token and records the use', async () => {
    const tokens = new FakeTokenStore();
    const { id, token } = await tokens.create({ name: 'ci', scopes: ['report'] });
    const res = await buildApp(tokens).request('/api/whoami', bearer(token));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id, name: 'ci', scopes: ['report'] });
    await new Promise((r) => setImmediate(r));
    expect((await tokens.list())[0]?.lastUsedAt).not.toBeNull();
  });

  it('accepts the scheme in any case', async () => {
    const tokens = new FakeTokenStore();
    const { token } = await tokens.create({ name: 'ci', scopes: ['report'] });
    const res = await buildApp(tokens).request('/api/whoami', {
      headers: { authorization: `bearer ${token}` },
    });
    expect(res.status).toBe(200);
  });

  it.each([
    ['no header', undefined, /needs an API token/],
    ['another scheme', 'Basic dXNlcjpwYXNz', /not a bearer token/],
    ['an empty bearer', 'Bearer ', /not a bearer token/],
    ['an unknown token', `Bearer it_${'x'.repeat(43)}`, /not valid or has been revoked/],
  ])('answers 401 with a challenge and a JSON error for %s', async (_label, header, message) => {
    const app = buildApp(new FakeTokenStore(), { clock: fakeClock() });
    const res = await app.request('/api/whoami', header ? { headers: { Authorization: header } } : {});
    expect(res.status).toBe(401);
    expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer/);
    const body = (await res.json()) as ErrorJson;
    expect(body.error.name).toBe('AuthenticationError');
    expect(body.error.message).toMatch(message);
    expect(body.error.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses a revoked token', async () => {
    const tokens = new FakeTokenStore();
    const { id, token } = await tokens.create({ name: 'old', scopes: ['admin'] });
    await tokens.revoke(id);
    const res = await buildApp(tokens, { clock: fakeClock() }).request('/api/whoami', bearer(token));
    expect(res.status).toBe(401);
  });

  it('slows repeated failures per client exponentially, capped, and leaves other clients alone', async () => {
    const clock = fakeClock();
    const app = buildApp(new FakeTokenStore(), { clock, baseDelayMs: 100, maxDelayMs: 1000 });
    for (let i = 0; i < 6; i++) await app.request('/api/whoami', bearer('it_wrong', 'guesser'));
    expect(clock.sleeps).toEqual([100, 200, 400, 800, 1000, 1000]);

    await app.request('/api/whoami', bearer('it_wrong', 'someone-else'));
    expect(clock.sleeps.at(-1)).toBe(100);

    // A missing header is not a guess.
    await app.request('/api/whoami', { headers: { 'x-test-client': 'guesser' } });
    expect(clock.sleeps).toHaveLength(7);
  });

  it('forgets old failures, and bounds how many clients it tracks', async () => {
    const clock = fakeClock();
    const app = buildApp(new FakeTokenStore(), {
      clock,
      baseDelayMs: 100,
      forgetAfterMs: 10_000,
      maxTrackedClients: 2,
    });
    await app.request('/api/whoami', bearer('bad', 'a'));
    await app.request('/api/whoami', bearer('bad', 'a'));
    expect(clock.sleeps).toEqual([100, 200]);

    await clock.sleep(10_000);
    await app.request('/api/whoami', bearer('bad', 'a'));
    expect(clock.sleeps.at(-1)).toBe(100);

    // Two more clients push "a" out of a map of size 2: it starts over.
    await app.request('/api/whoami', bearer('bad', 'b'));
    await app.request('/api/whoami', bearer('bad', 'c'));
    await app.request('/api/whoami', bearer('bad', 'a'));
    expect(clock.sleeps.at(-1)).toBe(100);
  });

  it('does not fail the request when recording the use fails', async () => {
    const tokens = new FakeTokenStore();
    const { token } = await tokens.create({ name: 'ci', scopes: ['report'] });
    const errors: unknown[] = [];
    const flaky: BearerAuthOptions['tokens'] = {
      verify: (t) => tokens.verify(t),
      touch: () => Promise.reject(new Error('db down')),
    };
    const res = await buildApp(flaky, { onTouchError: (e) => errors.push(e) }).request(
      '/api/whoami',
      bearer(token),
    );
    expect(res.status).toBe(200);
    await new Promise((r) => setImmediate(r));
    expect(errors).toHaveLength(1);
  });
});

describe('requireScope', () => {
  it('lets a token with the scope through, and admin everywhere', async () => {
    const tokens = new FakeTokenStore();
    const reporter = await tokens.create({ name: 'ci', scopes: ['report'] });
    const admin = await tokens.create({ name: 'root', scopes: ['admin'] });
    const app = buildApp(tokens);
    expect((await app.request('/api/reports', { method: 'POST', ...bearer(reporter.token) })).status).toBe(
      200,
    );
    expect((await app.request('/api/reports', { method: 'POST', ...bearer(admin.token) })).status).toBe(200);
    expect((await app.request('/api/runtimes/edge/jobs', bearer(admin.token))).status).toBe(200);
  });

  it('answers 403 naming the scope needed', async () => {
    const tokens = new FakeTokenStore();
    const runtime = await tokens.create({ name: 'edge agent', scopes: ['runtime:edge'] });
    const app = buildApp(tokens);

    const res = await app.request('/api/reports', { method: 'POST', ...bearer(runtime.token) });
    expect(res.status).toBe(403);
    const body = (await res.json()) as ErrorJson;
    expect(body.error.name).toBe('NotAllowedError');
    expect(body.error.message).toContain('"report" scope');
    expect(body.error.message).toContain('"runtime:edge"');

    expect((await app.request('/api/runtimes/edge/jobs', bearer(runtime.token))).status).toBe(200);
    const other = await app.request('/api/runtimes/other/jobs', bearer(runtime.token));
    expect(other.status).toBe(403);
    expect(((await other.json()) as ErrorJson).error.message).toContain('"runtime:other"');
  });

  it('fails closed without bearerAuth in front', async () => {
    const redactor = new Redactor();
    const app = new Hono<AuthEnv>();
    app.onError(errorHandler({ logger: createLogger(redactor, { level: 'silent' }), redactor }));
    app.get('/x', requireScope('admin'), (c) => c.text('no'));
    expect((await app.request('/x')).status).toBe(401);
  });
});

describe('bearerAuth with the SQL token store (SQLite)', () => {
  it('authenticates, authorises and refuses after revocation', async () => {
    const handle = openDatabase('sqlite::memory:');
    try {
      await migrateToLatest(handle.db);
      const tokens = new SqlTokenStore({ db: handle.db });
      const { id, token } = await tokens.create({ name: 'ci', scopes: ['report'] });
      const app = buildApp(tokens, { clock: fakeClock() });
      expect((await app.request('/api/reports', { method: 'POST', ...bearer(token) })).status).toBe(200);
      await tokens.revoke(id);
      expect((await app.request('/api/reports', { method: 'POST', ...bearer(token) })).status).toBe(401);
    } finally {
      await handle.close();
    }
  });
});
