import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import * as oidc from 'openid-client';
import { AuthenticationError, InputError, NotAllowedError } from '../../domain/errors.js';
import type { Logger } from '../../logging/logger.js';
import type { Redactor } from '../../logging/redactor.js';
import type { AuthMethods } from '../../contract/session.js';
import type { AuditStore } from '../../store/audit-store.js';
import type { SsoSessionStore } from '../../store/sso-session-store.js';
import type { Scope } from '../../store/token-store.js';
import { mapError } from '../error-handler.js';
import type { OidcClient } from '../sso/oidc-client.js';
import { cookieNames, setSessionCookies } from '../sso/session-auth.js';
import type { SsoSettings } from '../sso/settings.js';

/** What the SSO routes need; `serve` builds it when `--oidc-issuer` is given. */
export interface SsoDeps {
  settings: SsoSettings;
  client: Pick<OidcClient, 'authorizationUrl' | 'complete'>;
  sessions: SsoSessionStore;
}

type Deps = { sso?: SsoDeps; audit: AuditStore; redactor: Redactor; logger: Logger };

/** admin wins over viewer; neither group → null (refused). */
export function scopesFor(
  groups: readonly string[],
  s: Pick<SsoSettings, 'adminGroup' | 'viewerGroup'>,
): Scope[] | null {
  if (s.adminGroup !== undefined && groups.includes(s.adminGroup)) return ['admin'];
  if (s.viewerGroup !== undefined && groups.includes(s.viewerGroup)) return ['viewer'];
  return null;
}

/** Only a path on this server (no scheme, no `//host`), so the sign-in cannot bounce the browser elsewhere. */
export function safeReturnTo(raw: string | undefined): string {
  if (!raw || !/^\/(?![/\\])[^\s\\]*$/.test(raw) || raw.length > 1000) return '/';
  return raw;
}

/**
 * `/auth/*`, outside the API's bearer auth: which sign-in methods exist (public), and the two legs of the
 * OpenID Connect authorization-code flow.
 */
export function ssoRoutes(deps: Deps): Hono {
  const r = new Hono();
  r.get('/methods', (c) => {
    const methods: AuthMethods = { token: true, sso: deps.sso ? { loginUrl: '/auth/oidc/login' } : null };
    return c.json(methods);
  });
  const sso = deps.sso;
  if (!sso) return r;
  const names = cookieNames(sso.settings.secureCookies);
  const secure = sso.settings.secureCookies;

  r.get('/oidc/login', async (c) => {
    const checks = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier: oidc.randomPKCECodeVerifier(),
    };
    let url: URL;
    try {
      url = await sso.client.authorizationUrl(checks);
    } catch (err) {
      // A browser is waiting: a page, not JSON (the provider is down or --oidc-issuer is wrong).
      const m = mapError(err);
      deps.logger.warn({ err }, 'SSO sign-in cannot start');
      return c.html(page('Sign-in unavailable', deps.redactor.redact(m.message), m.hints), m.status);
    }
    const id = await sso.sessions.createLogin(
      { ...checks, returnTo: safeReturnTo(c.req.query('return')) },
      sso.settings.loginTtlMs,
    );
    setCookie(c, names.login, id, {
      path: '/auth/oidc',
      httpOnly: true,
      // Lax: sent on the provider's top-level redirect back to the callback, not on cross-site subrequests.
      sameSite: 'Lax',
      secure,
      maxAge: Math.floor(sso.settings.loginTtlMs / 1000),
    });
    c.header('Cache-Control', 'no-store');
    return c.redirect(url.href, 302);
  });

  r.get('/oidc/callback', async (c) => {
    c.header('Cache-Control', 'no-store');
    const loginId = getCookie(c, names.login);
    deleteCookie(c, names.login, { path: '/auth/oidc', secure });
    try {
      return await callback(c, sso, deps, loginId);
    } catch (err) {
      const m = mapError(err);
      await deps.audit
        .record({
          action: 'session.sign-in-failed',
          target: null,
          detail: { method: 'sso', reason: deps.redactor.redact(m.message).slice(0, 500) },
        })
        .catch((e: unknown) => deps.logger.warn({ err: e }, 'cannot record a failed sign-in'));
      deps.logger.warn({ status: m.status, reason: m.message }, 'SSO sign-in failed');
      return c.html(page('Sign-in failed', deps.redactor.redact(m.message), m.hints), m.status);
    }
  });
  return r;
}

async function callback(
  c: Context,
  sso: SsoDeps,
  deps: Deps,
  loginId: string | undefined,
): Promise<Response> {
  const query = new URL(c.req.url).searchParams;
  if (!loginId) {
    throw new InputError('This sign-in was not started in this browser, or it took too long.', {
      hints: ['Start again with "Sign in with SSO" on the dashboard.'],
    });
  }
  const login = await sso.sessions.takeLogin(loginId);
  if (!login) {
    throw new InputError('This sign-in has expired or was already used.', {
      hints: ['Start again with "Sign in with SSO" on the dashboard.'],
    });
  }
  if (query.get('state') !== login.state) {
    // Checked here too (openid-client also does) so a forged callback never reaches the token endpoint.
    throw new AuthenticationError(
      'The sign-in response does not match the sign-in this browser started (state).',
      {
        hints: ['Start again with "Sign in with SSO" on the dashboard.'],
      },
    );
  }
  const user = await sso.client.complete(query, login);
  const actorUser = { id: `sso:${user.subject}`, name: user.name };
  const scopes = scopesFor(user.groups, sso.settings);
  if (!scopes) {
    await deps.audit.record({
      actorUser,
      action: 'session.sign-in-refused',
      target: actorUser.id,
      detail: { method: 'sso', reason: 'in neither the admin nor the viewer group' },
    });
    // Recorded above with who it was; answered here, so the failure path does not record it twice.
    const m = mapError(
      new NotAllowedError(
        `You signed in as ${user.name}, but imagetrail lets in only members of ${groupList(sso.settings)}.`,
        { hints: ['Ask an administrator of your identity provider to add you to one of these groups.'] },
      ),
    );
    return c.html(page('Access refused', deps.redactor.redact(m.message), m.hints), m.status);
  }
  await sso.sessions.prune().catch((err: unknown) => deps.logger.warn({ err }, 'cannot prune SSO sessions'));
  const created = await sso.sessions.createSession(
    { subject: user.subject, name: user.name, scopes },
    sso.settings.sessionTtlMs,
  );
  await deps.audit.record({
    actorUser,
    action: 'session.sign-in',
    target: actorUser.id,
    detail: { name: user.name, client: 'dashboard', method: 'sso', scopes },
  });
  deps.logger.info({ user: actorUser.id, scopes }, 'SSO sign-in');
  setSessionCookies(c, sso.settings.secureCookies, created);
  return c.redirect(login.returnTo, 303);
}

function groupList(s: Pick<SsoSettings, 'adminGroup' | 'viewerGroup'>): string {
  const g = [s.adminGroup, s.viewerGroup].filter((x): x is string => x !== undefined).map((x) => `"${x}"`);
  return g.length === 1 ? `the group ${g[0]}` : `the groups ${g.join(' or ')}`;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
function esc(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

/** A plain page for the browser that came back from the provider (no script, nothing to load). */
function page(title: string, message: string, hints: string[]): string {
  const items = hints.map((h) => `<li>${esc(h)}</li>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)} · imagetrail</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem">
<main><h1>${esc(title)}</h1><p role="alert">${esc(message)}</p>${items ? `<ul>${items}</ul>` : ''}
<p><a href="/">Back to the dashboard sign-in</a></p></main></body></html>`;
}
