import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import * as z from 'zod';
import type { Redactor } from '../../../logging/redactor.js';
import { secretFingerprint, type EcrClientCache, type EcrCredentials } from './clients.js';
import { NoAmbientCredentialsError } from './errors.js';

export interface IamRoleAuth {
  mode: 'iamRole';
  roleArn: string;
  externalId?: string;
  sessionName?: string;
  /** ≤ 3600: AWS caps chained role sessions at one hour. */
  durationSeconds?: number;
}
export interface AccessKeyAuth {
  mode: 'accessKey';
  accessKeyId: string;
  /** In clear: unsealed by the caller, registered with the redactor here. */
  secretAccessKey: string;
}
export type EcrAuth = IamRoleAuth | AccessKeyAuth;

export interface RuntimeIdentity {
  name: string;
  /** The runtime's own AWS identity (the default chain on a hybrid runtime); null on a hosted runtime. */
  ambient: AwsCredentialIdentityProvider | null;
}

export interface CredentialsDeps {
  runtime: RuntimeIdentity;
  clients: EcrClientCache;
  redactor: Redactor;
  /** Region for the STS client making AssumeRole calls (the integration's). */
  region: string;
  stsEndpoint?: string;
  requestTimeoutMs?: number;
  maxAttempts?: number;
}

/** AWS's limit for a session obtained by role chaining. */
export const MAX_CHAINED_SESSION_SECONDS = 3600;
/** Same window the SDK uses: refresh a session when less than 5 min remain. */
const REFRESH_WINDOW_MS = 5 * 60_000;
/** Below this, a session is not used while a new one is on its way (a request signed now may arrive late). */
const MIN_SESSION_LEFT_MS = 60_000;
/** After a failed background renewal, the held session is used without asking STS again for this long. */
const RENEWAL_PAUSE_MS = 30_000;

const AssumedCredentials = z.object({
  AccessKeyId: z.string().min(1),
  SecretAccessKey: z.string().min(1),
  SessionToken: z.string().min(1),
  Expiration: z.date().optional(),
});

/** `imagetrail-<runtime>`, cut to the 64 characters RoleSessionName allows. */
export function defaultSessionName(runtimeName: string): string {
  return `imagetrail-${runtimeName}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

/**
 * The runtime's ambient provider, wrapped so whatever secret it yields is registered with the redactor, and
 * keyed by object identity (each runtime has its own chain).
 */
export function ambientCredentials(deps: CredentialsDeps): EcrCredentials {
  const ambient = deps.runtime.ambient;
  if (!ambient) {
    const provider: AwsCredentialIdentityProvider = () => Promise.reject(noAmbient(deps.runtime.name));
    return { key: `no-ambient:${deps.runtime.name}`, provider };
  }
  const key = `ambient:${deps.runtime.name}:${deps.clients.providerKey(ambient)}`;
  return {
    key,
    provider: deps.clients.memoProvider(key, () => async (props) => {
      const c = await ambient(props);
      deps.redactor.register(c.secretAccessKey);
      deps.redactor.register(c.sessionToken);
      return c;
    }),
  };
}

function noAmbient(runtime: string): NoAmbientCredentialsError {
  return new NoAmbientCredentialsError(
    `Runtime ${runtime} has no AWS identity of its own (hosted runtime), so it cannot assume an IAM role.`,
    { hints: ['Use a hybrid runtime for IAM-role mode, or switch the integration to access-key mode.'] },
  );
}

/**
 * The credentials an integration's ECR calls are signed with: its static key, or a session of its role
 * assumed with the runtime's ambient credentials. Role mode calls sts:AssumeRole even when the ambient
 * identity already is the role, so the integration's role, external ID and session settings always apply.
 */
export function integrationCredentials(auth: EcrAuth, deps: CredentialsDeps): EcrCredentials {
  if (auth.mode === 'accessKey') {
    deps.redactor.register(auth.secretAccessKey);
    const identity: AwsCredentialIdentity = {
      accessKeyId: auth.accessKeyId,
      secretAccessKey: auth.secretAccessKey,
    };
    // The secret's fingerprint is in the key so a corrected secret gets a fresh client.
    return {
      key: `key:${auth.accessKeyId}:${secretFingerprint(auth.secretAccessKey)}`,
      provider: () => Promise.resolve(identity),
    };
  }
  return assumedRoleCredentials(auth, deps);
}

function assumedRoleCredentials(auth: IamRoleAuth, deps: CredentialsDeps): EcrCredentials {
  const source = ambientCredentials(deps);
  const sessionName = auth.sessionName ?? defaultSessionName(deps.runtime.name);
  const duration = Math.min(auth.durationSeconds ?? MAX_CHAINED_SESSION_SECONDS, MAX_CHAINED_SESSION_SECONDS);
  const key = [
    'role',
    source.key,
    auth.roleArn,
    auth.externalId ?? '',
    sessionName,
    duration,
    deps.stsEndpoint ?? '',
  ].join('|');
  const provider = deps.clients.memoProvider(key, () => {
    let session: AwsCredentialIdentity | undefined;
    let pending: Promise<AwsCredentialIdentity> | undefined;
    // When a renewal last failed, and whether that streak was logged (once until one succeeds).
    let failedAt: number | undefined;
    let failureLogged = false;
    const assume = () => assumeRole(auth, deps, { source, sessionName, duration });
    // Shared by every client of this role (ECR in several regions, STS), so one AssumeRole per session;
    // the SDK's own cache is per client. moto's sessions never expire; AWS's do, within the hour.
    // `forceRefresh` (the SDK's own convention) lets a connection test prove the role can still be assumed.
    const renew = (): Promise<AwsCredentialIdentity> => {
      const p: Promise<AwsCredentialIdentity> = assume()
        .then((s) => {
          failedAt = undefined;
          failureLogged = false;
          return (session = s);
        })
        .finally(() => pending === p && (pending = undefined));
      pending = p;
      return p;
    };
    const renewInBackground = (): void => {
      if (pending || (failedAt !== undefined && deps.clients.now() - failedAt < RENEWAL_PAUSE_MS)) return;
      renew().catch((err: unknown) => {
        failedAt = deps.clients.now();
        if (failureLogged) return;
        failureLogged = true;
        deps.clients.logger?.warn(
          {
            roleArn: auth.roleArn,
            error: err instanceof Error ? err.name : 'Error',
            retryInMs: RENEWAL_PAUSE_MS,
          },
          'Renewing the IAM role session failed; the current session is used until it is about to expire',
        );
      });
    };
    return async (props?: Record<string, unknown>) => {
      const left = session?.expiration ? session.expiration.getTime() - deps.clients.now() : Infinity;
      const forced = props?.['forceRefresh'] === true;
      if (session && !forced && left > REFRESH_WINDOW_MS) return session;
      // A forced refresh asks anew even with a renewal in flight: the caller wants proof from now.
      if (forced) return renew();
      // In the refresh window the session in hand still signs for minutes: the report goes on with it
      // while the new one is assumed, instead of waiting one more round trip before its first ECR call.
      // A failed renewal pauses the next ones (an outage or AccessDenied must not cost an AssumeRole per report).
      if (session && left > MIN_SESSION_LEFT_MS) {
        renewInBackground();
        return session;
      }
      pending ??= renew();
      return pending;
    };
  });
  return { key, provider };
}

/** One sts:AssumeRole with the runtime's ambient credentials; the session's secrets go to the redactor. */
async function assumeRole(
  auth: IamRoleAuth,
  deps: CredentialsDeps,
  o: { source: EcrCredentials; sessionName: string; duration: number },
): Promise<AwsCredentialIdentity> {
  const { source, sessionName, duration } = o;
  if (!deps.runtime.ambient) throw noAmbient(deps.runtime.name);
  const sts = deps.clients.sts({
    credentials: source,
    region: deps.region,
    ...(deps.stsEndpoint ? { endpoint: deps.stsEndpoint } : {}),
    ...(deps.requestTimeoutMs ? { requestTimeoutMs: deps.requestTimeoutMs } : {}),
    ...(deps.maxAttempts ? { maxAttempts: deps.maxAttempts } : {}),
  });
  const res = await sts.send(
    new AssumeRoleCommand({
      RoleArn: auth.roleArn,
      RoleSessionName: sessionName,
      DurationSeconds: duration,
      ...(auth.externalId !== undefined ? { ExternalId: auth.externalId } : {}),
    }),
  );
  const c = AssumedCredentials.parse(res.Credentials);
  deps.redactor.register(c.SecretAccessKey);
  deps.redactor.register(c.SessionToken);
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    ...(c.Expiration ? { expiration: c.Expiration } : {}),
  };
}
