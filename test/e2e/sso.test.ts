import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedImages } from '../../bench/seed-images.js';
import { openDatabase, type DatabaseHandle } from '../../src/store/database.js';
import { CookieAgent, signInAtProvider } from '../helpers/cookie-agent.js';
import { api, startImagetrail, type ServerHandle } from '../helpers/imagetrail.js';
import { freePort } from '../peers/free-port.js';
import { startOidcProvider, type OidcPeer } from '../peers/oidc-provider.js';

// Dashboard single sign-on against a real OpenID provider (oidc-provider) and a real `imagetrail serve`,
// at the HTTP level: the code flow with PKCE, group → scope mapping, cookie sessions with CSRF protection,
// the refusals (state, nonce, PKCE verifier, expiry, replay, no group), the audit trail and the logs.
// test/e2e/dashboard-sso.test.ts drives the same sign-in in Chromium.

const USERS = [
  { login: 'vera', password: 'vera-pw-1', name: 'Vera Viewer', groups: ['eng', 'imagetrail-viewers'] },
  { login: 'ada', password: 'ada-pw-1', name: 'Ada Admin', groups: ['imagetrail-admins'] },
  { login: 'nils', password: 'nils-pw-1', name: 'Nils Nogroup', groups: ['sales'] },
];
const cred = (login: string) => {
  const u = USERS.find((x) => x.login === login)!;
  return { login: u.login, password: u.password };
};

let provider: OidcPeer;
let server: ServerHandle;
let secretDir: string;
let store: DatabaseHandle;
/** Every code, cookie value and CSRF token seen, to prove none reaches the logs or the audit trail. */
const secrets: string[] = [];

beforeAll(async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  provider = await startOidcProvider({ redirectUri: `${url}/auth/oidc/callback`, users: USERS });
  secrets.push(provider.clientSecret);
  secretDir = await mkdtemp(join(tmpdir(), 'imagetrail-oidc-secret-'));
  await writeFile(join(secretDir, 'client-secret'), provider.clientSecret + '\n', { mode: 0o600 });
  server = await startImagetrail({
    args: [
      '--port',
      String(port),
      '--public-url',
      url,
      '--oidc-issuer',
      provider.issuer,
      '--oidc-client-id',
      provider.clientId,
      '--oidc-client-secret-file',
      join(secretDir, 'client-secret'),
      '--oidc-admin-group',
      'imagetrail-admins',
      '--oidc-viewer-group',
      'imagetrail-viewers',
      '--oidc-scopes',
      'openid profile groups',
    ],
    env: { IMAGETRAIL_LOG_LEVEL: 'debug' },
  });
  store = openDatabase(`sqlite:${join(server.dataDir, 'imagetrail.db')}`);
  await seedImages(store.db, 3);
}, 120_000);

afterAll(async () => {
  await store?.close();
  await server?.stop();
  await provider?.stop();
  if (secretDir) await rm(secretDir, { recursive: true, force: true });
});

/** Signs `login` in through the provider and returns the agent holding the session. */
async function signedIn(login: string): Promise<CookieAgent> {
  const agent = new CookieAgent();
  const callback = await signInAtProvider(agent, server.url, cred(login));
  secrets.push(new URL(callback).searchParams.get('code') ?? 'no-code');
  const done = await agent.fetch(callback);
  expect(done.status, done.body).toBe(303);
  expect(done.location).toBe(server.url + '/');
  const session = agent.cookie(server.url, 'imagetrail_session');
  const csrf = agent.cookie(server.url, 'imagetrail_csrf');
  expect(session).toMatch(/^[\w-]{43}$/);
  expect(csrf).toMatch(/^[\w-]{43}$/);
  secrets.push(session!, csrf!);
  return agent;
}

const csrfOf = (agent: CookieAgent) => agent.cookie(server.url, 'imagetrail_csrf')!;
const json = { 'content-type': 'application/json' };

describe('sign-in methods', () => {
  it('are public, so the sign-in page can offer SSO', async () => {
    const res = await fetch(server.url + '/auth/methods');
    expect(await res.json()).toEqual({ token: true, sso: { loginUrl: '/auth/oidc/login' } });
  });

  it('the sign-in redirect asks for a code with PKCE (S256), state and nonce, and sets an HttpOnly cookie', async () => {
    const agent = new CookieAgent();
    const hop = await agent.fetch(server.url + '/auth/oidc/login?return=/images');
    expect(hop.status).toBe(302);
    const to = new URL(hop.location!);
    expect(to.origin).toBe(provider.issuer);
    expect(Object.fromEntries(to.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: provider.clientId,
      redirect_uri: server.url + '/auth/oidc/callback',
      code_challenge_method: 'S256',
      scope: 'openid profile groups',
    });
    for (const p of ['state', 'nonce', 'code_challenge'])
      expect(to.searchParams.get(p)).toMatch(/^[\w-]{20,}$/);
    const res = await fetch(server.url + '/auth/oidc/login', { redirect: 'manual' });
    expect(res.headers.getSetCookie().join('\n')).toMatch(
      /imagetrail_sso_login=[\w-]+; Max-Age=600; Path=\/auth\/oidc; HttpOnly; SameSite=Lax/,
    );
  });
});

describe('a viewer-group user', () => {
  it('reads images and the session, and every change is refused 403', async () => {
    const agent = await signedIn('vera');
    const who = await agent.fetch(server.url + '/api/v1/session');
    expect(JSON.parse(who.body)).toEqual({
      id: 'sso:vera',
      name: 'Vera Viewer',
      scopes: ['viewer'],
      via: 'sso',
    });
    const images = await agent.fetch(server.url + '/api/v1/images');
    expect(images.status).toBe(200);
    expect((JSON.parse(images.body) as { items: unknown[] }).items.length).toBe(3);
    const change = await agent.fetch(server.url + '/api/v1/tokens', {
      method: 'POST',
      headers: { ...json, 'x-csrf-token': csrfOf(agent) },
      body: JSON.stringify({ name: 'sneaky', scopes: ['admin'] }),
    });
    expect(change.status).toBe(403);
    expect(JSON.parse(change.body).error.message).toContain('admin');
  });

  it('the session cookies are HttpOnly (session) and SameSite=Lax, without Secure on plain-http loopback', async () => {
    const agent = new CookieAgent();
    const callback = await signInAtProvider(agent, server.url, cred('vera'));
    const res = await fetch(callback, {
      redirect: 'manual',
      headers: { cookie: `imagetrail_sso_login=${agent.cookie(server.url, 'imagetrail_sso_login')}` },
    });
    const set = res.headers.getSetCookie();
    expect(set.find((c) => c.startsWith('imagetrail_session='))).toMatch(
      /; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/,
    );
    expect(set.find((c) => c.startsWith('imagetrail_csrf='))).toMatch(
      /; Path=\/; Expires=[^;]+; SameSite=Lax$/,
    );
  });
});

describe('an admin-group user', () => {
  it('changes things with the session cookie and its CSRF token', async () => {
    const agent = await signedIn('ada');
    const created = await agent.fetch(server.url + '/api/v1/tokens', {
      method: 'POST',
      headers: { ...json, 'x-csrf-token': csrfOf(agent) },
      body: JSON.stringify({ name: 'made-by-ada', scopes: ['report'] }),
    });
    expect(created.status, created.body).toBe(201);
    secrets.push((JSON.parse(created.body) as { token: string }).token);
    const audit = await api(server, 'GET', '/api/v1/audit?action=token.create');
    expect(audit.json.items[0]).toMatchObject({
      actor: { id: 'sso:ada', name: 'Ada Admin' },
      target: expect.any(String),
    });
    // The actor filter finds an SSO user by id or name.
    for (const actor of ['sso:ada', 'Ada Admin']) {
      const mine = await api(
        server,
        'GET',
        `/api/v1/audit?action=token.create&actor=${encodeURIComponent(actor)}`,
      );
      expect(mine.json.items.map((i: { actor: { id: string } }) => i.actor.id)).toEqual(['sso:ada']);
    }
  });

  it('a change with the session cookie but without (or with a wrong) CSRF token is refused 403', async () => {
    const agent = await signedIn('ada');
    for (const headers of [
      json,
      { ...json, 'x-csrf-token': 'A'.repeat(43) },
      { ...json, 'x-csrf-token': '' },
    ]) {
      const res = await agent.fetch(server.url + '/api/v1/tokens', {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: 'csrf-victim', scopes: ['admin'] }),
      });
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body).error.message).toContain('X-CSRF-Token');
    }
    const tokens = await api(server, 'GET', '/api/v1/tokens');
    expect(JSON.stringify(tokens.json)).not.toContain('csrf-victim');
  });

  it('a bearer-token request needs no CSRF token (scripts are unaffected)', async () => {
    const res = await api(server, 'POST', '/api/v1/tokens', { name: 'script-made', scopes: ['report'] });
    expect(res.status).toBe(201);
    secrets.push(res.json.token as string);
  });

  it('signs out: the session ends in the store and its cookie is cleared', async () => {
    const agent = await signedIn('ada');
    const session = agent.cookie(server.url, 'imagetrail_session')!;
    const out = await agent.fetch(server.url + '/api/v1/session', {
      method: 'DELETE',
      headers: { 'x-csrf-token': csrfOf(agent) },
    });
    expect(out.status).toBe(204);
    expect(agent.cookie(server.url, 'imagetrail_session')).toBeUndefined();
    const again = await fetch(server.url + '/api/v1/session', {
      headers: { cookie: `imagetrail_session=${session}` },
    });
    expect(again.status).toBe(401);
  });

  it('an expired session is refused 401', async () => {
    const agent = await signedIn('ada');
    await store.db.updateTable('sso_sessions').set({ expires_at: '2000-01-01T00:00:00.000Z' }).execute();
    const res = await agent.fetch(server.url + '/api/v1/images');
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body).error.message).toContain('session has ended');
  });
});

describe('refused sign-ins', () => {
  it('a user in neither group gets a page saying which groups are let in, and no session', async () => {
    const agent = new CookieAgent();
    const callback = await signInAtProvider(agent, server.url, cred('nils'));
    const res = await agent.fetch(callback);
    expect(res.status).toBe(403);
    expect(res.body).toContain(
      'You signed in as Nils Nogroup, but imagetrail lets in only members of the groups',
    );
    expect(res.body).toContain('&quot;imagetrail-admins&quot; or &quot;imagetrail-viewers&quot;');
    expect(agent.cookie(server.url, 'imagetrail_session')).toBeUndefined();
  });

  /** Runs a sign-in up to the callback, lets `tamper` change the URL or the stored sign-in, then calls back. */
  async function refusedWith(
    tamper: (callback: URL) => Promise<URL | void>,
  ): Promise<{ status: number; body: string }> {
    const agent = new CookieAgent();
    const callback = new URL(await signInAtProvider(agent, server.url, cred('ada')));
    secrets.push(callback.searchParams.get('code')!);
    const target = (await tamper(callback)) ?? callback;
    const res = await agent.fetch(target.href);
    expect(agent.cookie(server.url, 'imagetrail_session')).toBeUndefined();
    return res;
  }

  it('a tampered state is refused', async () => {
    const res = await refusedWith(async (u) => {
      u.searchParams.set('state', u.searchParams.get('state')!.slice(0, -2) + 'xx');
      return u;
    });
    expect(res.status).toBe(401);
    expect(res.body).toContain('does not match the sign-in this browser started (state)');
  });

  it('an expired sign-in (state older than its lifetime) is refused', async () => {
    const res = await refusedWith(async () => {
      await store.db.updateTable('sso_logins').set({ expires_at: '2000-01-01T00:00:00.000Z' }).execute();
    });
    expect(res.status).toBe(400);
    expect(res.body).toContain('This sign-in has expired or was already used.');
  });

  it('a tampered nonce is refused (the ID token carries the one sent)', async () => {
    const res = await refusedWith(async () => {
      await store.db
        .updateTable('sso_logins')
        .set({ nonce: 'tampered-nonce-0000000000000000000000000' })
        .execute();
    });
    expect(res.status).toBe(401);
    expect(res.body).toMatch(/The sign-in was refused: .*nonce/);
  });

  it('a tampered PKCE verifier is refused by the provider', async () => {
    const before = provider.events.length;
    const res = await refusedWith(async () => {
      await store.db
        .updateTable('sso_logins')
        .set({ code_verifier: 'tampered-verifier-00000000000000000000000000000000' })
        .execute();
    });
    expect(res.status).toBe(401);
    expect(res.body).toContain('The sign-in was refused: invalid_grant');
    expect(provider.events.slice(before).some((e) => e.startsWith('token-error:'))).toBe(true);
  });

  it('a callback replayed (the sign-in already used) is refused', async () => {
    const agent = new CookieAgent();
    const callback = await signInAtProvider(agent, server.url, cred('ada'));
    secrets.push(new URL(callback).searchParams.get('code')!);
    const login = agent.cookie(server.url, 'imagetrail_sso_login')!;
    expect((await agent.fetch(callback)).status).toBe(303);
    const replay = await fetch(callback, {
      redirect: 'manual',
      headers: { cookie: `imagetrail_sso_login=${login}` },
    });
    expect(replay.status).toBe(400);
  });

  it('a callback without the browser-bound sign-in cookie is refused', async () => {
    const agent = new CookieAgent();
    const callback = await signInAtProvider(agent, server.url, cred('ada'));
    secrets.push(new URL(callback).searchParams.get('code')!);
    const res = await fetch(callback, { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('was not started in this browser');
  });
});

describe('the audit trail and the logs', () => {
  it('record every sign-in, refusal and failure, and hold no code, cookie, token or secret', async () => {
    const all = await api(server, 'GET', '/api/v1/audit?action=session.*&limit=500');
    expect(all.status, all.text).toBe(200);
    const items = all.json.items as {
      action: string;
      actor: { id: string } | null;
      detail: Record<string, unknown>;
    }[];
    const signIns = items.filter((i) => i.action === 'session.sign-in');
    expect(signIns.map((i) => i.actor?.id)).toEqual(expect.arrayContaining(['sso:vera', 'sso:ada']));
    expect(signIns.find((i) => i.actor?.id === 'sso:vera')?.detail).toMatchObject({
      method: 'sso',
      scopes: ['viewer'],
    });
    expect(items.filter((i) => i.action === 'session.sign-in-refused').map((i) => i.actor?.id)).toContain(
      'sso:nils',
    );
    expect(items.filter((i) => i.action === 'session.sign-in-failed').length).toBeGreaterThanOrEqual(5);
    expect(items.some((i) => i.action === 'session.sign-out')).toBe(true);

    const trail = JSON.stringify(items);
    const logs = server.logs();
    expect(logs).toContain('SSO sign-in');
    for (const s of secrets) {
      expect(trail).not.toContain(s);
      expect(logs).not.toContain(s);
    }
  });
});
