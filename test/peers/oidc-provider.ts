import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

/**
 * A real OpenID Connect provider (`oidc-provider`, the certified Node.js implementation) on 127.0.0.1:0,
 * with one confidential client, a few users with group memberships, and plain HTML login and consent pages
 * (the provider's interaction API) that a browser — Chromium or the test's cookie-jar client — fills in.
 *
 * The groups are a claim of the `groups` scope; with `conformIdTokenClaims` (the default) the provider puts
 * them in the userinfo answer, not the ID token, which is what the relying party must cope with.
 */

export interface OidcUser {
  /** The login name typed into the form; also the `sub`. */
  login: string;
  password: string;
  name: string;
  groups: string[];
}

export interface OidcPeer {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** What the interaction pages and the token endpoint saw, for assertions. */
  readonly events: string[];
  stop(): Promise<void>;
}

export interface OidcPeerOptions {
  redirectUri: string;
  users: OidcUser[];
  /** Also put the groups into the ID token (as Keycloak or Okta can be configured to). */
  groupsInIdToken?: boolean;
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ESC[c] ?? c);

function html(res: ServerResponse, status: number, title: string, body: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head>` +
      `<body><main><h1>${esc(title)}</h1>${body}</main></body></html>`,
  );
}

async function form(req: IncomingMessage): Promise<URLSearchParams> {
  let text = '';
  for await (const chunk of req) text += (chunk as Buffer).toString();
  return new URLSearchParams(text);
}

export async function startOidcProvider(opts: OidcPeerOptions): Promise<OidcPeer> {
  const server: Server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'imagetrail-dashboard';
  const clientSecret = `oidc-client-secret-${randomBytes(16).toString('hex')}`;
  const users = new Map(opts.users.map((u) => [u.login, u]));
  const events: string[] = [];
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [opts.redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], groups: ['groups'] },
    scopes: ['openid', 'profile', 'groups'],
    conformIdTokenClaims: !opts.groupsInIdToken,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx, id) => {
      const u = users.get(id);
      if (!u) return undefined;
      return {
        accountId: id,
        claims: () => ({ sub: id, name: u.name, preferred_username: id, groups: u.groups }),
      };
    },
  });
  provider.on('grant.success', () => events.push('token'));
  provider.on('grant.error', (_ctx, err) => events.push(`token-error:${err.message}`));
  const callback = provider.callback();

  server.on('request', (req, res) => {
    const m = /^\/interaction\/([\w-]+)(\/login|\/confirm)?$/.exec(new URL(req.url ?? '/', issuer).pathname);
    if (!m) {
      callback(req, res);
      return;
    }
    interaction(provider, req, res, m[2] ?? '', users, events).catch((err: unknown) => {
      html(res, 500, 'Provider error', `<p>${esc(String(err))}</p>`);
    });
  });

  return {
    issuer,
    clientId,
    clientSecret,
    events,
    stop: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

async function interaction(
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  step: string,
  users: Map<string, OidcUser>,
  events: string[],
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params } = details;
  if (req.method === 'GET') {
    if (prompt.name === 'login') {
      events.push('login-page');
      return html(
        res,
        200,
        'Sign in to the test provider',
        `<form method="post" action="/interaction/${uid}/login">
<label>Username <input name="login" autocomplete="off"></label>
<label>Password <input name="password" type="password"></label>
<button type="submit">Sign in</button></form>`,
      );
    }
    events.push('consent-page');
    return html(
      res,
      200,
      'Allow access',
      `<p>${esc(String(params['client_id']))} asks for: ${esc(String(params['scope']))}</p>
<form method="post" action="/interaction/${uid}/confirm"><button type="submit">Allow</button></form>`,
    );
  }
  if (step === '/login') {
    const f = await form(req);
    const u = users.get(f.get('login') ?? '');
    if (!u || u.password !== f.get('password')) {
      return html(
        res,
        200,
        'Sign in to the test provider',
        '<p role="alert">Wrong username or password.</p>',
      );
    }
    events.push(`login:${u.login}`);
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: u.login } },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  // Consent: grant exactly what the client asked for and the provider says is missing.
  const accountId = details.session?.accountId;
  if (!accountId) throw new Error('consent without a signed-in session');
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: String(params['client_id']) });
  if (!grant) throw new Error('grant not found');
  const missing = prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  const grantId = await grant.save();
  events.push('consent');
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}
