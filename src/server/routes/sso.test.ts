import { describe, expect, it } from 'vitest';
import { createLogger } from '../../logging/logger.js';
import { Redactor } from '../../logging/redactor.js';
import { FakeAuditStore } from '../../store/fake-audit-store.js';
import type { SsoSessionStore } from '../../store/sso-session-store.js';
import { OidcClient } from '../sso/oidc-client.js';
import { resolveSsoSettings } from '../sso/settings.js';
import { ssoRoutes } from './sso.js';

const redactor = new Redactor();
const base = { audit: new FakeAuditStore(), redactor, logger: createLogger(redactor, { level: 'silent' }) };

describe('the /auth routes', () => {
  it('say that only the token sign-in exists when SSO is not configured, and serve no SSO leg', async () => {
    const app = ssoRoutes(base);
    expect(await (await app.request('/methods')).json()).toEqual({ token: true, sso: null });
    expect((await app.request('/oidc/login')).status).toBe(404);
  });

  it('answer a page (502) when the provider cannot be reached, without a pending sign-in or cookie', async () => {
    const settings = await resolveSsoSettings(
      { issuer: 'http://127.0.0.1:9', clientId: 'imagetrail', viewerGroup: 'eng' },
      'http://127.0.0.1:8080',
      redactor,
    );
    const untouched: SsoSessionStore = new Proxy({} as SsoSessionStore, {
      get: () => () => Promise.reject(new Error('the store must not be used')),
    });
    const app = ssoRoutes({
      ...base,
      sso: { settings, client: new OidcClient(settings, { timeoutMs: 2000 }), sessions: untouched },
    });
    const res = await app.request('/oidc/login');
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await res.text()).toContain(
      'Cannot read the OpenID Connect discovery document of http://127.0.0.1:9/',
    );
  });
});
