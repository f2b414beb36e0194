import { describe, expect, it } from 'vitest';
import { AuthenticationError, UnavailableError } from '../../../domain/errors.js';
import { Redactor } from '../../../logging/redactor.js';
import {
  anonymousAuth,
  basicAuth,
  basicTokenAuth,
  credentialStrategy,
  type CredentialStrategy,
} from './auth.js';

const ctx = () => ({ host: 'r.example', redactor: new Redactor() });
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('credential strategies', () => {
  it('anonymous: no Authorization anywhere, nothing to refresh', async () => {
    const s = anonymousAuth();
    expect(s).toMatchObject({ anonymous: true, refreshable: false });
    expect(await s.authorization(false)).toBeUndefined();
    expect(s.realmAuthorization()).toBeUndefined();
  });

  it('basic: the same header for the registry and a trusted realm; the password is registered for redaction', async () => {
    const c = ctx();
    const s = basicAuth('me', 'pa:ss-word', c);
    const header = `Basic ${b64('me:pa:ss-word')}`;
    expect(s).toMatchObject({ anonymous: false, refreshable: false });
    expect(await s.authorization(false)).toBe(header);
    expect(s.realmAuthorization()).toBe(header);
    expect(c.redactor.redact('pa:ss-word')).toBe('[REDACTED]');
  });

  it('token: asks the provider (fresh on refresh), sends Basic <token>, registers token and password', async () => {
    const c = ctx();
    const asked: boolean[] = [];
    const s = basicTokenAuth((refresh) => {
      asked.push(refresh);
      return Promise.resolve(b64(refresh ? 'AWS:fresh-password' : 'AWS:cached-password'));
    }, c);
    expect(s).toMatchObject({ anonymous: false, refreshable: true });
    expect(await s.authorization(false)).toBe(`Basic ${b64('AWS:cached-password')}`);
    expect(await s.authorization(true)).toBe(`Basic ${b64('AWS:fresh-password')}`);
    expect(asked).toEqual([false, true]);
    expect(c.redactor.redact('fresh-password cached-password')).toBe('[REDACTED] [REDACTED]');
    // Never offered to a token realm: it is worth the account's pull rights.
    expect(s.realmAuthorization()).toBeUndefined();
  });

  it('token: a provider failure is an AuthenticationError naming the host; taxonomy errors pass through', async () => {
    const failing = basicTokenAuth(() => Promise.reject(new Error('sts down')), ctx());
    const err = await failing.authorization(false).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as Error).message).toContain('r.example');
    const typed = new UnavailableError('throttled');
    const passing = basicTokenAuth(() => Promise.reject(typed), ctx());
    await expect(passing.authorization(false)).rejects.toBe(typed);
  });

  it('token in hand: not refreshable', () => {
    expect(basicTokenAuth(() => Promise.resolve('x'), { ...ctx(), refreshable: false }).refreshable).toBe(
      false,
    );
  });

  it('credentialStrategy maps the data forms, and passes a strategy through untouched', async () => {
    expect(credentialStrategy({ kind: 'none' }, ctx()).anonymous).toBe(true);
    expect(
      await credentialStrategy({ kind: 'basic', username: 'u', password: 'p' }, ctx()).authorization(false),
    ).toBe(`Basic ${b64('u:p')}`);
    const ecr = credentialStrategy({ kind: 'ecr', getToken: () => Promise.resolve('dG9r') }, ctx());
    expect(await ecr.authorization(false)).toBe('Basic dG9r');
    expect(ecr.refreshable).toBe(true);
    const own: CredentialStrategy = { ...anonymousAuth(), anonymous: false };
    expect(credentialStrategy(own, ctx())).toBe(own);
  });
});
