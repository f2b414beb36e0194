import { describe, expect, it } from 'vitest';
import { SqlAuditStore } from '../../src/store/sql-audit-store.js';
import { SqlSsoSessionStore, csrfMatches, hashId } from '../../src/store/sso-session-store.js';
import { eachDatabase, useTestDatabase } from '../helpers/databases.js';

function manualClock(start = Date.parse('2030-01-01T00:00:00.000Z')) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

const LOGIN = { state: 'st-1', nonce: 'no-1', codeVerifier: 'ver-1', returnTo: '/images' };

describe.each(eachDatabase())('SSO sessions on %s', (engine) => {
  const database = useTestDatabase(engine);

  it('a pending sign-in is taken once, and not after it expires', async () => {
    const clock = manualClock();
    const s = new SqlSsoSessionStore({ db: database().db, now: clock.now });
    const id = await s.createLogin(LOGIN, 60_000);
    expect(await s.takeLogin(id)).toEqual(LOGIN);
    expect(await s.takeLogin(id)).toBeNull();

    const late = await s.createLogin(LOGIN, 60_000);
    clock.advance(60_000);
    expect(await s.takeLogin(late)).toBeNull();
    expect(await s.takeLogin('not-an-id')).toBeNull();
  });

  it('stores only hashes of the session id and CSRF token; finds, expires and deletes sessions', async () => {
    const clock = manualClock();
    const db = database().db;
    const s = new SqlSsoSessionStore({ db, now: clock.now });
    const made = await s.createSession({ subject: 'u-1', name: 'Una', scopes: ['viewer'] }, 3_600_000);
    expect(made.expiresAt).toBe('2030-01-01T01:00:00.000Z');
    const rows = await db.selectFrom('sso_sessions').selectAll().execute();
    const raw = JSON.stringify(rows);
    expect(raw).not.toContain(made.id);
    expect(raw).not.toContain(made.csrfToken);
    expect(rows.find((r) => r.subject === 'u-1')?.id_hash).toBe(hashId(made.id));

    const found = await s.findSession(made.id);
    expect(found).toMatchObject({ subject: 'u-1', name: 'Una', scopes: ['viewer'] });
    expect(csrfMatches(found!, made.csrfToken)).toBe(true);
    expect(csrfMatches(found!, made.id)).toBe(false);
    expect(csrfMatches(found!, undefined)).toBe(false);
    expect(await s.findSession(made.csrfToken)).toBeNull();

    clock.advance(3_600_000);
    expect(await s.findSession(made.id)).toBeNull();
    expect(await s.prune()).toBeGreaterThanOrEqual(1);

    const other = await s.createSession({ subject: 'u-2', name: 'Otto', scopes: ['admin'] }, 60_000);
    await s.deleteSession(other.id);
    expect(await s.findSession(other.id)).toBeNull();
  });

  it('the audit trail names an SSO user as the actor (no token row to point at)', async () => {
    const audit = new SqlAuditStore({ db: database().db });
    await audit.record({
      actorUser: { id: 'sso:u-1', name: 'Una' },
      action: 'session.sign-in',
      target: 'sso:u-1',
    });
    await audit.record({ actorTokenId: null, action: 'session.sign-in-failed', target: null });
    const [failed, signIn] = await audit.list({ action: 'session.*' });
    expect(signIn).toMatchObject({ actorTokenId: null, actorUser: { id: 'sso:u-1', name: 'Una' } });
    expect(failed?.actorUser).toBeUndefined();
    for (const who of ['sso:u-1', 'Una']) {
      expect(
        (await audit.list({ actorUser: who })).map((e) => e.action),
        who,
      ).toEqual(['session.sign-in']);
    }
    expect(await audit.list({ actorUser: 'sso:nobody' })).toEqual([]);
    expect(await audit.list({ actorTokenIds: [], actorUser: 'Una' })).toHaveLength(1);
  });
});
