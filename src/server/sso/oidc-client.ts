import * as oidc from 'openid-client';
import * as z from 'zod';
import { AuthenticationError, UnreachableError } from '../../domain/errors.js';
import type { SsoSettings } from './settings.js';
import { isLoopback } from './settings.js';

/**
 * The relying party of the dashboard's sign-in, on `openid-client` (ADR "sso-oidc-client"): discovery,
 * the authorization-code flow with PKCE (S256), state and nonce, and every check of the ID token — the
 * signature against the provider's JWKS (non-repudiation checks on), `iss`, `aud`, `exp`/`iat`, `nonce` —
 * is the library's. This module adds timeouts, the groups claim, and errors from the one taxonomy.
 */

export interface Checks {
  state: string;
  nonce: string;
  codeVerifier: string;
}

export interface SignedInUser {
  subject: string;
  name: string;
  groups: string[];
}

/** The claims imagetrail reads; everything else the provider sends is ignored. */
const Identity = z.object({
  sub: z.string().min(1).max(255),
  name: z.string().max(300).optional(),
  preferred_username: z.string().max(300).optional(),
  email: z.string().max(300).optional(),
});

/** Providers send groups as a list, a single string, or not at all when the user has none. */
const Groups = z
  .union([z.array(z.string().max(500)).max(1000), z.string().max(500)])
  .transform((g) => (typeof g === 'string' ? [g] : g));

export interface OidcClientOptions {
  timeoutMs?: number;
}

export class OidcClient {
  #config: Promise<oidc.Configuration> | undefined;
  private readonly timeoutSeconds: number;

  constructor(
    private readonly settings: SsoSettings,
    options: OidcClientOptions = {},
  ) {
    this.timeoutSeconds = Math.ceil((options.timeoutMs ?? 10_000) / 1000);
  }

  /** Discovery once, lazily; a failure is not cached, so the next sign-in tries again. */
  private config(): Promise<oidc.Configuration> {
    this.#config ??= this.discover().catch((err: unknown) => {
      this.#config = undefined;
      throw err;
    });
    return this.#config;
  }

  private async discover(): Promise<oidc.Configuration> {
    const s = this.settings;
    const auth = s.clientSecret ? oidc.ClientSecretBasic(s.clientSecret) : oidc.None();
    // Plain http only for a loopback issuer (settings.ts refuses any other).
    const execute = [
      oidc.enableNonRepudiationChecks,
      ...(s.issuer.protocol === 'http:' && isLoopback(s.issuer) ? [oidc.allowInsecureRequests] : []),
    ];
    try {
      return await oidc.discovery(s.issuer, s.clientId, undefined, auth, {
        execute,
        timeout: this.timeoutSeconds,
      });
    } catch (err) {
      throw new UnreachableError(
        `Cannot read the OpenID Connect discovery document of ${s.issuer.href}: ${reason(err)}`,
        { cause: err, hints: ['Check --oidc-issuer and that this server can reach the provider.'] },
      );
    }
  }

  /** Where to send the browser: the provider's authorization endpoint with PKCE, state and nonce. */
  async authorizationUrl(checks: Checks): Promise<URL> {
    const config = await this.config();
    return oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.settings.redirectUri.href,
      scope: this.settings.scopes,
      response_type: 'code',
      state: checks.state,
      nonce: checks.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(checks.codeVerifier),
      code_challenge_method: 'S256',
    });
  }

  /**
   * Finishes the sign-in from the callback's query string: redeems the code with the PKCE verifier,
   * validates the ID token and reads who the user is and their groups (from the ID token, else userinfo).
   */
  async complete(query: URLSearchParams, checks: Checks): Promise<SignedInUser> {
    const config = await this.config();
    const current = new URL(this.settings.redirectUri);
    current.search = query.toString();
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, current, {
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        pkceCodeVerifier: checks.codeVerifier,
        idTokenExpected: true,
      });
    } catch (err) {
      throw new AuthenticationError(`The sign-in was refused: ${reason(err)}`, {
        cause: err,
        hints: ['Start the sign-in again from the dashboard.'],
      });
    }
    const idClaims = tokens.claims();
    // idTokenExpected: the library has refused a response without a valid ID token by now.
    if (!idClaims) throw new AuthenticationError('The provider sent no ID token.');
    const groupsClaim = this.settings.groupsClaim;
    // Many providers put groups and profile claims in userinfo only (OpenID Connect Core 5.4); ask it then.
    const claims: Record<string, unknown> =
      idClaims[groupsClaim] === undefined
        ? { ...(await this.userinfo(config, tokens.access_token, idClaims.sub)), ...idClaims }
        : idClaims;
    const id = Identity.safeParse(claims);
    if (!id.success) throw new AuthenticationError('The provider sent an ID token without a usable subject.');
    const rawGroups = claims[groupsClaim];
    const groups = rawGroups === undefined ? [] : Groups.safeParse(rawGroups);
    if (!Array.isArray(groups) && !groups.success) {
      throw new AuthenticationError(
        `The provider's "${this.settings.groupsClaim}" claim is not a list of group names.`,
        { hints: ['Check --oidc-groups-claim against what the provider sends.'] },
      );
    }
    const d = id.data;
    return {
      subject: d.sub,
      name: d.name ?? d.preferred_username ?? d.email ?? d.sub,
      groups: Array.isArray(groups) ? groups : groups.data,
    };
  }

  private async userinfo(
    config: oidc.Configuration,
    accessToken: string,
    subject: string,
  ): Promise<Record<string, unknown>> {
    try {
      return await oidc.fetchUserInfo(config, accessToken, subject);
    } catch (err) {
      throw new AuthenticationError(`Cannot read the user's claims from the provider: ${reason(err)}`, {
        cause: err,
      });
    }
  }
}

/**
 * A short reason from openid-client's errors (their messages and OAuth `error` codes name the failed check,
 * never the code or a token); the caller's error passes through the redactor as every error does.
 */
function reason(err: unknown): string {
  if (err instanceof oidc.ResponseBodyError || err instanceof oidc.AuthorizationResponseError) {
    return `${err.error}${err.error_description ? ` (${err.error_description})` : ''}`;
  }
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}
