import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import { InputError } from '../../domain/errors.js';
import { parseInput } from '../../domain/parse.js';
import type { Redactor } from '../../logging/redactor.js';

/**
 * `serve --oidc-*`: dashboard single sign-on through an OpenID Connect provider (docs/sso.md). The client
 * secret comes from a file or the environment, never from argv.
 */
export const OidcOptions = z
  .object({
    issuer: z.url({ protocol: /^https?$/, error: 'must be the issuer URL, e.g. https://login.example.com' }),
    clientId: z.string().trim().min(1, 'must name the client registered at the provider').max(500),
    /** A file holding the client secret (a Kubernetes Secret mounted as a file, say). */
    clientSecretFile: z.string().min(1).optional(),
    /** From IMAGETRAIL_OIDC_CLIENT_SECRET only. */
    clientSecret: z.string().min(1).optional(),
    adminGroup: z.string().trim().min(1).max(300).optional(),
    viewerGroup: z.string().trim().min(1).max(300).optional(),
    /** The claim (ID token or userinfo) that lists the user's groups. */
    groupsClaim: z.string().trim().min(1).max(200).default('groups'),
    /** Space-separated scopes asked for; some providers need `groups` among them to send the claim. */
    scopes: z
      .string()
      .trim()
      .regex(/(^| )openid( |$)/, 'must include openid')
      .default('openid profile email'),
    sessionHours: z.coerce
      .number()
      .min(0.05)
      .max(24 * 30)
      .default(8),
  })
  .refine((o) => o.adminGroup !== undefined || o.viewerGroup !== undefined, {
    message: 'name --oidc-admin-group or --oidc-viewer-group (or both): nobody could sign in otherwise',
  });
export type OidcOptions = z.input<typeof OidcOptions>;

export interface SsoSettings {
  issuer: URL;
  clientId: string;
  clientSecret?: string;
  adminGroup?: string;
  viewerGroup?: string;
  groupsClaim: string;
  scopes: string;
  /** `<public-url>/auth/oidc/callback`, as registered at the provider. */
  redirectUri: URL;
  /** The dashboard's origin; cookies are `Secure` unless it is plain-http loopback. */
  secureCookies: boolean;
  sessionTtlMs: number;
  /** How long a sign-in may stay at the provider (login, consent) before its state expires. */
  loginTtlMs: number;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/i;

export function isLoopback(url: URL): boolean {
  return LOOPBACK.test(url.hostname);
}

/** Validates the options, reads the secret and registers it with the redactor before anything logs. */
export async function resolveSsoSettings(
  raw: OidcOptions,
  publicUrl: string | undefined,
  redactor: Redactor,
): Promise<SsoSettings> {
  const o = parseInput(OidcOptions, raw, 'OpenID Connect options');
  if (!publicUrl) {
    throw new InputError('Single sign-on needs --public-url: the provider sends browsers back to it.', {
      hints: ['Pass --public-url https://imagetrail.example.com (the address people open the dashboard at).'],
    });
  }
  const pub = new URL(publicUrl);
  const issuer = new URL(o.issuer);
  for (const [what, url] of [
    ['--public-url', pub],
    ['--oidc-issuer', issuer],
  ] as const) {
    if (url.protocol === 'http:' && !isLoopback(url)) {
      throw new InputError(
        `${what} must be https: session cookies and codes must not cross the network in clear.`,
        {
          hints: [
            'Plain http is accepted only for a loopback address (127.0.0.1, ::1, localhost), for local trials.',
          ],
        },
      );
    }
  }
  const secret = await readSecret(o.clientSecretFile, o.clientSecret);
  redactor.register(secret);
  return {
    issuer,
    clientId: o.clientId,
    ...(secret ? { clientSecret: secret } : {}),
    ...(o.adminGroup ? { adminGroup: o.adminGroup } : {}),
    ...(o.viewerGroup ? { viewerGroup: o.viewerGroup } : {}),
    groupsClaim: o.groupsClaim,
    scopes: o.scopes,
    redirectUri: new URL('auth/oidc/callback', pub.href.endsWith('/') ? pub.href : pub.href + '/'),
    secureCookies: pub.protocol === 'https:',
    sessionTtlMs: Math.round(o.sessionHours * 3_600_000),
    loginTtlMs: 10 * 60_000,
  };
}

async function readSecret(file: string | undefined, env: string | undefined): Promise<string | undefined> {
  if (file && env) {
    throw new InputError(
      'The OpenID Connect client secret is given twice: --oidc-client-secret-file and IMAGETRAIL_OIDC_CLIENT_SECRET.',
      { hints: ['Keep one of them.'] },
    );
  }
  if (!file) return env?.trim() || undefined;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`Cannot read the OpenID Connect client secret file ${file}.`, {
      cause: err,
      hints: ['Check the path and that the server may read it.'],
    });
  }
  const secret = text.trim();
  if (secret === '') throw new InputError(`The OpenID Connect client secret file ${file} is empty.`);
  return secret;
}
