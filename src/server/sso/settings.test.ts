import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../domain/errors.js';
import { Redactor } from '../../logging/redactor.js';
import { safeReturnTo, scopesFor } from '../routes/sso.js';
import { resolveSsoSettings } from './settings.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imagetrail-sso-settings-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const BASE = { issuer: 'https://login.example.com', clientId: 'imagetrail', adminGroup: 'ops' };

describe('SSO settings', () => {
  it('derive the redirect URL from --public-url and make cookies Secure on https', async () => {
    const s = await resolveSsoSettings(BASE, 'https://imagetrail.example.com/base', new Redactor());
    expect(s.redirectUri.href).toBe('https://imagetrail.example.com/base/auth/oidc/callback');
    expect(s.secureCookies).toBe(true);
    expect(s.groupsClaim).toBe('groups');
    expect(s.sessionTtlMs).toBe(8 * 3_600_000);
  });

  it('allow plain http only on loopback, without Secure cookies', async () => {
    const s = await resolveSsoSettings(
      { ...BASE, issuer: 'http://127.0.0.1:9000' },
      'http://localhost:8080',
      new Redactor(),
    );
    expect(s.secureCookies).toBe(false);
    await expect(resolveSsoSettings(BASE, 'http://imagetrail.example.com', new Redactor())).rejects.toThrow(
      /--public-url must be https/,
    );
    await expect(
      resolveSsoSettings(
        { ...BASE, issuer: 'http://login.example.com' },
        'https://i.example.com',
        new Redactor(),
      ),
    ).rejects.toThrow(/--oidc-issuer must be https/);
  });

  it('need a public URL and at least one group', async () => {
    await expect(resolveSsoSettings(BASE, undefined, new Redactor())).rejects.toThrow(/needs --public-url/);
    const { adminGroup: _, ...noGroup } = BASE;
    await expect(resolveSsoSettings(noGroup, 'https://i.example.com', new Redactor())).rejects.toBeInstanceOf(
      InputError,
    );
  });

  it('read the client secret from a file or the environment (not both) and register it for redaction', async () => {
    const file = join(dir, 'secret');
    await writeFile(file, 'file-secret-value-123\n');
    const redactor = new Redactor();
    const s = await resolveSsoSettings(
      { ...BASE, clientSecretFile: file },
      'https://i.example.com',
      redactor,
    );
    expect(s.clientSecret).toBe('file-secret-value-123');
    expect(redactor.redact('oops file-secret-value-123')).not.toContain('file-secret-value-123');
    await expect(
      resolveSsoSettings(
        { ...BASE, clientSecretFile: file, clientSecret: 'env-secret-value' },
        'https://i.example.com',
        redactor,
      ),
    ).rejects.toThrow(/given twice/);
    await expect(
      resolveSsoSettings(
        { ...BASE, clientSecretFile: join(dir, 'missing') },
        'https://i.example.com',
        redactor,
      ),
    ).rejects.toThrow(/Cannot read the OpenID Connect client secret file/);
  });
});

describe('group → scope mapping', () => {
  const s = { adminGroup: 'ops', viewerGroup: 'eng' };
  it('admin wins over viewer; neither group is refused', () => {
    expect(scopesFor(['eng', 'ops'], s)).toEqual(['admin']);
    expect(scopesFor(['eng'], s)).toEqual(['viewer']);
    expect(scopesFor(['sales'], s)).toBeNull();
    expect(scopesFor([], { viewerGroup: 'eng' })).toBeNull();
    // Group names match exactly: no prefix or case folding.
    expect(scopesFor(['Ops', 'ops-team'], s)).toBeNull();
  });
});

describe('the page to return to after the sign-in', () => {
  it('is a path on this server, never another origin', () => {
    expect(safeReturnTo('/images/abc?x=1')).toBe('/images/abc?x=1');
    for (const bad of [
      '//evil.example/x',
      '/\\evil.example',
      'https://evil.example/',
      'javascript:alert(1)',
      '',
      undefined,
    ]) {
      expect(safeReturnTo(bad)).toBe('/');
    }
  });
});
