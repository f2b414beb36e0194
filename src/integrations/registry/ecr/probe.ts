import {
  BatchGetImageCommand,
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
} from '@aws-sdk/client-ecr';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { partition } from '@aws-sdk/core/client';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import * as z from 'zod';
import { InputError } from '../../../domain/errors.js';
import { AccessKeyId, AwsRegion } from '../../../domain/names.js';
import { EcrEndpoints, EcrIamRoleAuth } from '../../../config-repo/kinds/integration-v1alpha1.js';
import type { Redactor } from '../../../logging/redactor.js';
import type { ClientRequest, EcrAuthToken, EcrClientCache, EcrCredentials } from './clients.js';
import { ambientCredentials, integrationCredentials, type CredentialsDeps } from './credentials.js';
import { classifyAwsError, RegistryHttpError, type AwsErrorClass, type ClassifyContext } from './errors.js';
import { ecrRegistryHost, isKnownRegion } from './host.js';

/** Repository that should not exist: AWS authorizes an action before it looks the repository up. */
export const PROBE_REPOSITORY = 'imagetrail-permission-probe';

/** What to test: an ECR integration's spec with the secret unsealed. */
export const EcrConnectionInput = z.object({
  region: AwsRegion,
  auth: z.discriminatedUnion('mode', [
    EcrIamRoleAuth,
    z.object({ mode: z.literal('accessKey'), accessKeyId: AccessKeyId, secretAccessKey: z.string().min(1) }),
  ]),
  endpoints: EcrEndpoints.optional(),
});
export type EcrConnectionInput = z.infer<typeof EcrConnectionInput>;

export interface EcrProbeContext {
  runtime: { name: string; type: 'hybrid' | 'hosted'; ambient: AwsCredentialIdentityProvider | null };
  clients: EcrClientCache;
  redactor: Redactor;
  requestTimeoutMs?: number;
  maxAttempts?: number;
}

export type EcrCheckName =
  | 'region'
  | 'ambient-identity'
  | 'assume-role'
  | 'identity'
  | 'ecr:GetAuthorizationToken'
  | 'ecr:DescribeRepositories'
  | 'ecr:DescribeImages'
  | 'ecr:BatchGetImage'
  | 'ecr:DescribeImageScanFindings'
  | 'registry';

export interface EcrCheck {
  name: EcrCheckName;
  ok: boolean;
  message: string;
  errorClass?: AwsErrorClass;
  hints?: string[];
  /** IAM action the check exercised. */
  action?: string;
  durationMs: number;
  /** Not run: an earlier check it depends on failed (ok=false), or it does not apply (ok=true). */
  skipped?: boolean;
}

/** Name used by the service and server layers for one streamed check. */
export type ProbeCheck = EcrCheck;

export interface EcrCallerIdentity {
  arn: string;
  account: string;
  userId: string;
}

export interface EcrTestResult {
  ok: boolean;
  runtime: { name: string; type: 'hybrid' | 'hosted' };
  checks: EcrCheck[];
  identity?: EcrCallerIdentity;
}

export interface EcrProbeOptions {
  /** Called as each check finishes (streamed to the dashboard); concurrent checks finish in any order. */
  onCheck?: (check: EcrCheck) => void;
}

const CallerIdentity = z.object({ Arn: z.string(), Account: z.string(), UserId: z.string() });

/** Classes after which nothing signed with the same credentials can succeed. */
const CREDENTIAL_CLASSES = new Set<AwsErrorClass>([
  'unknown-access-key',
  'wrong-secret',
  'expired-credentials',
  'no-ambient-credentials',
]);
/** Classes meaning the ECR API endpoint cannot be used at all. */
const CONNECTIVITY_CLASSES = new Set<AwsErrorClass>(['endpoint-unreachable', 'timeout', 'unknown-region']);

/**
 * Test connection: runs, in order, every check enrichment depends on and says for each what failed and how
 * to fix it. AWS and registry failures become failed checks; only invalid input throws (InputError).
 */
export async function testEcrConnection(
  rawInput: unknown,
  ctx: EcrProbeContext,
  opts: EcrProbeOptions = {},
): Promise<EcrTestResult> {
  // Register before validating so the secret is redacted even from validation failures.
  const maybeSecret = (rawInput as { auth?: { secretAccessKey?: unknown } } | null)?.auth?.secretAccessKey;
  if (typeof maybeSecret === 'string') ctx.redactor.register(maybeSecret);
  const parsed = EcrConnectionInput.safeParse(rawInput);
  if (!parsed.success) {
    throw new InputError('Invalid ECR connection settings', {
      details: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  const input = parsed.data;
  return new Probe(input, ctx, opts).run();
}

class Probe {
  private readonly checks: EcrCheck[] = [];
  private readonly region: string;
  private readonly regionKnown: boolean;
  private readonly dnsSuffix: string;
  private readonly deps: CredentialsDeps;

  constructor(
    private readonly input: EcrConnectionInput,
    private readonly ctx: EcrProbeContext,
    private readonly opts: EcrProbeOptions,
  ) {
    this.region = input.region;
    this.regionKnown = isKnownRegion(input.region);
    this.dnsSuffix = partition(input.region).dnsSuffix;
    this.deps = {
      runtime: { name: ctx.runtime.name, ambient: ctx.runtime.ambient },
      clients: ctx.clients,
      redactor: ctx.redactor,
      region: input.region,
      ...(input.endpoints?.sts ? { stsEndpoint: input.endpoints.sts } : {}),
      ...(ctx.requestTimeoutMs ? { requestTimeoutMs: ctx.requestTimeoutMs } : {}),
      ...(ctx.maxAttempts ? { maxAttempts: ctx.maxAttempts } : {}),
    };
  }

  async run(): Promise<EcrTestResult> {
    const { input, ctx } = this;
    this.regionCheck();

    let callerArn: string | undefined;
    if (input.auth.mode === 'iamRole') {
      const ambient = ambientCredentials(this.deps);
      const amb = await this.check(
        'ambient-identity',
        'sts:GetCallerIdentity',
        this.stsLabel(),
        () => this.callerIdentity(ambient),
        { credentialsLabel: `the identity of runtime ${ctx.runtime.name}` },
        (id) => `Runtime ${ctx.runtime.name} runs as ${id.arn}.`,
      );
      if (!amb.ok) return this.finish(undefined, `the runtime's own AWS identity failed (ambient-identity)`);
      callerArn = amb.value.arn;
    }

    const creds = integrationCredentials(input.auth, this.deps);
    if (input.auth.mode === 'iamRole') {
      const role = input.auth;
      const assumed = await this.check(
        'assume-role',
        'sts:AssumeRole',
        this.stsLabel(),
        // Force a real AssumeRole even if a session is cached: the test must prove the trust holds now.
        () => creds.provider({ forceRefresh: true }),
        {
          roleArn: role.roleArn,
          ...(role.externalId !== undefined ? { externalId: role.externalId } : {}),
          ...(callerArn ? { callerArn } : {}),
          credentialsLabel: `the identity of runtime ${ctx.runtime.name}`,
        },
        (c) =>
          `Assumed ${role.roleArn}${role.externalId !== undefined ? ' with the external ID' : ''}` +
          (c.expiration ? `; session valid until ${c.expiration.toISOString()}.` : '.'),
      );
      if (!assumed.ok) return this.finish(undefined, 'the role could not be assumed (assume-role)');
    }

    const label =
      input.auth.mode === 'accessKey'
        ? `the access key ${input.auth.accessKeyId}`
        : `the session of ${input.auth.roleArn}`;
    const idc = await this.check(
      'identity',
      'sts:GetCallerIdentity',
      this.stsLabel(),
      () => this.callerIdentity(creds),
      { credentialsLabel: label },
      (id) => `Signed in as ${id.arn} (account ${id.account}).`,
    );
    const identity = idc.ok ? idc.value : undefined;
    if (!idc.ok && idc.errorClass && CREDENTIAL_CLASSES.has(idc.errorClass)) {
      return this.finish(identity, 'the credentials were rejected (identity)');
    }

    const ecrCtx: Partial<ClassifyContext> = {
      credentialsLabel: label,
      ...(identity ? { callerArn: identity.arn } : {}),
    };
    const registryUrl = this.registryUrl(identity?.account);
    const registryHost = registryUrl ? new URL(registryUrl).host : this.fallbackRegistryHost();
    const req = this.request(creds, input.endpoints?.api);
    const tok = await this.check(
      'ecr:GetAuthorizationToken',
      'ecr:GetAuthorizationToken',
      this.apiLabel(),
      () => ctx.clients.authorizationToken({ ...req, registryHost, refresh: true }),
      ecrCtx,
      (t) => tokenMessage(t, ctx.clients.now()),
    );
    if (
      !tok.ok &&
      tok.errorClass &&
      (CREDENTIAL_CLASSES.has(tok.errorClass) || CONNECTIVITY_CLASSES.has(tok.errorClass))
    ) {
      return this.finish(identity, `the ECR API failed (ecr:GetAuthorizationToken: ${tok.errorClass})`);
    }

    const ecr = ctx.clients.ecr(req);
    const notFoundIsOk = async (send: () => Promise<unknown>): Promise<'exists' | 'not-found'> => {
      try {
        await send();
        return 'exists';
      } catch (err) {
        const name = (err as { name?: unknown }).name;
        if (
          name === 'RepositoryNotFoundException' ||
          name === 'ImageNotFoundException' ||
          name === 'ScanNotFoundException'
        ) {
          return 'not-found';
        }
        throw err;
      }
    };
    const permitted = (action: string) => (r: 'exists' | 'not-found') =>
      `Allowed to call ${action}` +
      (r === 'not-found' ? ` (probed on the absent repository ${PROBE_REPOSITORY}).` : '.');
    const slots = await Promise.all([
      this.check(
        'ecr:DescribeRepositories',
        'ecr:DescribeRepositories',
        this.apiLabel(),
        () => ecr.send(new DescribeRepositoriesCommand({ maxResults: 1 })),
        ecrCtx,
        () => 'Allowed to call ecr:DescribeRepositories.',
        false,
      ),
      this.check(
        'ecr:DescribeImages',
        'ecr:DescribeImages',
        this.apiLabel(),
        () =>
          notFoundIsOk(() =>
            ecr.send(new DescribeImagesCommand({ repositoryName: PROBE_REPOSITORY, maxResults: 1 })),
          ),
        ecrCtx,
        permitted('ecr:DescribeImages'),
        false,
      ),
      this.check(
        'ecr:BatchGetImage',
        'ecr:BatchGetImage',
        this.apiLabel(),
        () =>
          notFoundIsOk(() =>
            ecr.send(
              new BatchGetImageCommand({
                repositoryName: PROBE_REPOSITORY,
                imageIds: [{ imageTag: 'latest' }],
              }),
            ),
          ),
        ecrCtx,
        permitted('ecr:BatchGetImage'),
        false,
      ),
      this.check(
        'ecr:DescribeImageScanFindings',
        'ecr:DescribeImageScanFindings',
        this.apiLabel(),
        () =>
          notFoundIsOk(() =>
            ecr.send(
              new DescribeImageScanFindingsCommand({
                repositoryName: PROBE_REPOSITORY,
                imageId: { imageTag: 'latest' },
                maxResults: 1,
              }),
            ),
          ),
        ecrCtx,
        permitted('ecr:DescribeImageScanFindings'),
        false,
      ),
      tok.ok && registryUrl
        ? this.check(
            'registry',
            undefined,
            registryUrl,
            () => this.registryGet(registryUrl, tok.value, creds.key),
            ecrCtx,
            () => `The registry ${registryUrl} accepted the ECR token (GET /v2/ → 200).`,
            false,
          )
        : Promise.resolve(
            this.skipped(
              'registry',
              tok.ok
                ? 'Skipped: the account is unknown (identity failed) and no registry endpoint override is set.'
                : 'Skipped: no ECR authorization token (ecr:GetAuthorizationToken failed).',
              false,
            ),
          ),
    ]);
    // Concurrent checks finish in any order; the result lists them in the documented order.
    for (const s of slots) this.checks.push(s.check);
    return this.finish(identity);
  }

  private regionCheck(): void {
    const start = performance.now();
    const done = (c: Omit<EcrCheck, 'name' | 'durationMs'>): void =>
      this.record({ name: 'region', durationMs: Math.round(performance.now() - start), ...c });
    if (this.input.endpoints?.api) {
      done({
        ok: true,
        skipped: true,
        message: `Region ${this.region} not checked against the SDK's region list: an API endpoint override is set (${this.input.endpoints.api}).`,
      });
    } else if (this.regionKnown) {
      done({ ok: true, message: `Region ${this.region} (${partition(this.region).name} partition).` });
    } else {
      done({
        ok: false,
        errorClass: 'unknown-region',
        message: `Region ${this.region} is not in this imagetrail's AWS region list.`,
        hints: [
          'Check the region name (e.g. eu-west-1).',
          'For a region newer than this imagetrail build, set an API endpoint override.',
        ],
      });
    }
  }

  private async callerIdentity(creds: EcrCredentials): Promise<EcrCallerIdentity> {
    const sts = this.ctx.clients.sts(this.request(creds, this.input.endpoints?.sts));
    const res = CallerIdentity.parse(await sts.send(new GetCallerIdentityCommand({})));
    return { arn: res.Arn, account: res.Account, userId: res.UserId };
  }

  private async registryGet(url: string, token: EcrAuthToken, credentialsKey: string): Promise<void> {
    const v2 = `${url.replace(/\/+$/, '')}/v2/`;
    const res = await fetch(v2, {
      headers: { Authorization: `Basic ${token.authorizationToken}` },
      // A redirect here would be unexpected and must not carry the token elsewhere.
      redirect: 'manual',
      signal: AbortSignal.timeout(this.ctx.requestTimeoutMs ?? 10_000),
    });
    await res.body?.cancel();
    if (res.status !== 200) {
      if (res.status === 401) this.ctx.clients.forgetAuthorizationToken(credentialsKey, new URL(url).host);
      throw new RegistryHttpError(res.status, v2, `GET ${v2} answered HTTP ${res.status}, expected 200.`);
    }
  }

  private request(credentials: EcrCredentials, endpoint: string | undefined): ClientRequest {
    return {
      credentials,
      region: this.region,
      ...(endpoint ? { endpoint } : {}),
      ...(this.ctx.requestTimeoutMs ? { requestTimeoutMs: this.ctx.requestTimeoutMs } : {}),
      ...(this.ctx.maxAttempts ? { maxAttempts: this.ctx.maxAttempts } : {}),
    };
  }

  private registryUrl(account: string | undefined): string | undefined {
    if (this.input.endpoints?.registry) return this.input.endpoints.registry;
    return account ? `https://${ecrRegistryHost(account, this.region)}` : undefined;
  }

  /** Token cache key when the account is unknown: tokens are per principal anyway. */
  private fallbackRegistryHost(): string {
    return `unknown-account.dkr.ecr.${this.region}.${this.dnsSuffix}`;
  }

  private apiLabel(): string {
    return this.input.endpoints?.api ?? `https://api.ecr.${this.region}.${this.dnsSuffix}`;
  }

  private stsLabel(): string {
    return this.input.endpoints?.sts ?? `https://sts.${this.region}.${this.dnsSuffix}`;
  }

  /**
   * Runs one check; a thrown error becomes a failed check with a classified message. With `record` false
   * the caller appends it (concurrent checks keep the documented order).
   */
  private async check<T>(
    name: EcrCheckName,
    action: string | undefined,
    endpoint: string,
    fn: () => Promise<T>,
    cctx: Partial<ClassifyContext>,
    describe: (value: T) => string,
    record = true,
  ): Promise<
    | { ok: true; value: T; check: EcrCheck; errorClass?: undefined }
    | { ok: false; errorClass: AwsErrorClass; check: EcrCheck }
  > {
    const start = performance.now();
    const ms = (): number => Math.round(performance.now() - start);
    try {
      const value = await fn();
      const check: EcrCheck = {
        name,
        ok: true,
        message: this.ctx.redactor.redact(describe(value)),
        ...(action ? { action } : {}),
        durationMs: ms(),
      };
      this.emit(check, record);
      return { ok: true, value, check };
    } catch (err) {
      const c = classifyAwsError(err, {
        redactor: this.ctx.redactor,
        ...(action ? { action } : {}),
        endpoint,
        region: this.region,
        regionKnown: this.regionKnown || this.input.endpoints?.api !== undefined,
        ...cctx,
      });
      const check: EcrCheck = {
        name,
        ok: false,
        message: c.message,
        errorClass: c.errorClass,
        hints: c.hints,
        ...((c.action ?? action) ? { action: c.action ?? action } : {}),
        durationMs: ms(),
      };
      this.emit(check, record);
      return { ok: false, errorClass: c.errorClass, check };
    }
  }

  private skipped(name: EcrCheckName, message: string, record = true): { ok: false; check: EcrCheck } {
    const check: EcrCheck = { name, ok: false, skipped: true, message, durationMs: 0 };
    this.emit(check, record);
    return { ok: false, check };
  }

  private emit(check: EcrCheck, record: boolean): void {
    if (record) this.checks.push(check);
    this.opts.onCheck?.(check);
  }

  private record(check: EcrCheck): void {
    this.emit(check, true);
  }

  /** Reports every check not yet run as skipped because of `reason`, then the overall result. */
  private finish(identity: EcrCallerIdentity | undefined, reason?: string): EcrTestResult {
    if (reason) {
      const order: EcrCheckName[] = [
        'region',
        ...(this.input.auth.mode === 'iamRole' ? (['ambient-identity', 'assume-role'] as const) : []),
        'identity',
        'ecr:GetAuthorizationToken',
        'ecr:DescribeRepositories',
        'ecr:DescribeImages',
        'ecr:BatchGetImage',
        'ecr:DescribeImageScanFindings',
        'registry',
      ];
      const done = new Set(this.checks.map((c) => c.name));
      for (const name of order) if (!done.has(name)) this.skipped(name, `Skipped: ${reason}.`);
    }
    return {
      ok: this.checks.every((c) => c.ok),
      runtime: { name: this.ctx.runtime.name, type: this.ctx.runtime.type },
      checks: this.checks,
      ...(identity ? { identity } : {}),
    };
  }
}

function tokenMessage(t: EcrAuthToken, now: number): string {
  const exp = t.expiresAt?.getTime();
  if (exp === undefined) return 'Got an ECR authorization token (no expiry given).';
  if (exp <= now) {
    // moto always answers 2015-01-01; AWS never hands out an expired token.
    return `Got an ECR authorization token, but its expiresAt (${t.expiresAt?.toISOString()}) is already past; it is reused for a short while only.`;
  }
  return `Got an ECR authorization token valid until ${new Date(exp).toISOString()}.`;
}
