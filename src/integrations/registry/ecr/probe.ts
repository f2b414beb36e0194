import {
  BatchGetImageCommand,
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
} from '@aws-sdk/client-ecr';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { partition } from '@aws-sdk/core/client';
import * as z from 'zod';
import { InputError } from '../../../domain/errors.js';
import type { ClientRequest, EcrAuthToken, EcrCredentials } from './clients.js';
import { ambientCredentials, integrationCredentials, type CredentialsDeps } from './credentials.js';
import type { AwsErrorClass, ClassifyContext } from './errors.js';
import { ecrRegistryHost, isKnownRegion } from './host.js';
import { CheckRecorder, type CheckOutcome } from './probe-checks.js';
import { checkRegistry } from './probe-registry.js';
import {
  checkOrder,
  EcrConnectionInput,
  PROBE_REPOSITORY,
  type EcrCallerIdentity,
  type EcrCheck,
  type EcrProbeContext,
  type EcrProbeOptions,
  type EcrTestResult,
} from './probe-types.js';
import { zodDetails } from '../../../domain/parse.js';

export {
  EcrConnectionInput,
  PROBE_REPOSITORY,
  type EcrCallerIdentity,
  type EcrCheck,
  type EcrCheckName,
  type EcrProbeContext,
  type EcrProbeOptions,
  type EcrTestResult,
  type ProbeCheck,
} from './probe-types.js';

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

type PermissionCheck =
  'ecr:DescribeRepositories' | 'ecr:DescribeImages' | 'ecr:BatchGetImage' | 'ecr:DescribeImageScanFindings';

/** Absent-repository answers that still prove the action was allowed. */
const NOT_FOUND = new Set(['RepositoryNotFoundException', 'ImageNotFoundException', 'ScanNotFoundException']);

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
      details: zodDetails(parsed.error),
    });
  }
  return new Probe(parsed.data, ctx, opts).run();
}

/** What the identity checks found, for the ECR checks that follow. */
interface Signed {
  creds: EcrCredentials;
  identity: EcrCallerIdentity | undefined;
  /** Whose credentials, for messages. */
  label: string;
}

class Probe {
  private readonly region: string;
  private readonly regionKnown: boolean;
  private readonly dnsSuffix: string;
  private readonly deps: CredentialsDeps;
  private readonly recorder: CheckRecorder;

  constructor(
    private readonly input: EcrConnectionInput,
    private readonly ctx: EcrProbeContext,
    opts: EcrProbeOptions,
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
    const regionKnown = this.regionKnown || input.endpoints?.api !== undefined;
    this.recorder = new CheckRecorder(
      { redactor: ctx.redactor, region: this.region, regionKnown },
      opts.onCheck,
    );
  }

  async run(): Promise<EcrTestResult> {
    this.regionCheck();
    const signed = await this.signIn();
    if ('failed' in signed) return this.finish(signed.identity, signed.failed);
    const { identity, label } = signed;
    const ecrCtx: Partial<ClassifyContext> = {
      credentialsLabel: label,
      ...(identity ? { callerArn: identity.arn } : {}),
    };
    const registryUrl = this.registryUrl(identity?.account);
    const registryHost = registryUrl ? new URL(registryUrl).host : this.fallbackRegistryHost();
    const req = this.request(signed.creds, this.input.endpoints?.api);
    const tok = await this.recorder.run({
      name: 'ecr:GetAuthorizationToken',
      action: 'ecr:GetAuthorizationToken',
      endpoint: this.apiLabel(),
      fn: () => this.ctx.clients.authorizationToken({ ...req, registryHost, refresh: true }),
      context: ecrCtx,
      describe: (t) => tokenMessage(t, this.ctx.clients.now()),
    });
    const fatal =
      !tok.ok && (CREDENTIAL_CLASSES.has(tok.errorClass) || CONNECTIVITY_CLASSES.has(tok.errorClass));
    if (fatal) {
      return this.finish(identity, `the ECR API failed (ecr:GetAuthorizationToken: ${tok.errorClass})`);
    }
    const slots = await Promise.all([
      ...this.permissionChecks(req, ecrCtx),
      this.registryCheck(tok, registryUrl, signed.creds.key, ecrCtx),
    ]);
    // Concurrent checks finish in any order; the result lists them in the documented order.
    for (const s of slots) this.recorder.checks.push(s.check);
    return this.finish(identity);
  }

  /** The runtime's own identity and the role (role mode), then who the integration signs in as. */
  private async signIn(): Promise<Signed | { failed: string; identity?: EcrCallerIdentity }> {
    const { input, ctx } = this;
    const runtimeLabel = `the identity of runtime ${ctx.runtime.name}`;
    let callerArn: string | undefined;
    if (input.auth.mode === 'iamRole') {
      const ambient = ambientCredentials(this.deps);
      const amb = await this.recorder.run({
        name: 'ambient-identity',
        action: 'sts:GetCallerIdentity',
        endpoint: this.stsLabel(),
        fn: () => this.callerIdentity(ambient),
        context: { credentialsLabel: runtimeLabel },
        describe: (id) => `Runtime ${ctx.runtime.name} runs as ${id.arn}.`,
      });
      if (!amb.ok) return { failed: `the runtime's own AWS identity failed (ambient-identity)` };
      callerArn = amb.value.arn;
    }
    const creds = integrationCredentials(input.auth, this.deps);
    if (input.auth.mode === 'iamRole') {
      const role = input.auth;
      const assumed = await this.recorder.run({
        name: 'assume-role',
        action: 'sts:AssumeRole',
        endpoint: this.stsLabel(),
        // Force a real AssumeRole even if a session is cached: the test must prove the trust holds now.
        fn: () => creds.provider({ forceRefresh: true }),
        context: {
          roleArn: role.roleArn,
          ...(role.externalId !== undefined ? { externalId: role.externalId } : {}),
          ...(callerArn ? { callerArn } : {}),
          credentialsLabel: runtimeLabel,
        },
        describe: (c) =>
          `Assumed ${role.roleArn}${role.externalId !== undefined ? ' with the external ID' : ''}` +
          (c.expiration ? `; session valid until ${c.expiration.toISOString()}.` : '.'),
      });
      if (!assumed.ok) return { failed: 'the role could not be assumed (assume-role)' };
    }
    const label =
      input.auth.mode === 'accessKey'
        ? `the access key ${input.auth.accessKeyId}`
        : `the session of ${input.auth.roleArn}`;
    const idc = await this.recorder.run({
      name: 'identity',
      action: 'sts:GetCallerIdentity',
      endpoint: this.stsLabel(),
      fn: () => this.callerIdentity(creds),
      context: { credentialsLabel: label },
      describe: (id) => `Signed in as ${id.arn} (account ${id.account}).`,
    });
    const identity = idc.ok ? idc.value : undefined;
    if (!idc.ok && CREDENTIAL_CLASSES.has(idc.errorClass)) {
      return { failed: 'the credentials were rejected (identity)' };
    }
    return { creds, identity, label };
  }

  /** The read actions enrichment needs, probed on an absent repository (AWS authorizes first). */
  private permissionChecks(req: ClientRequest, context: Partial<ClassifyContext>) {
    const ecr = this.ctx.clients.ecr(req);
    const notFoundIsOk = async (send: () => Promise<unknown>): Promise<'exists' | 'not-found'> => {
      try {
        await send();
        return 'exists';
      } catch (err) {
        if (NOT_FOUND.has((err as { name?: unknown }).name as string)) return 'not-found';
        throw err;
      }
    };
    const probe = (action: PermissionCheck, send: () => Promise<unknown>, onAbsent: boolean) =>
      this.recorder.run(
        {
          name: action,
          action,
          endpoint: this.apiLabel(),
          fn: () => (onAbsent ? notFoundIsOk(send) : send().then(() => 'exists' as const)),
          context,
          describe: (r: 'exists' | 'not-found') =>
            `Allowed to call ${action}` +
            (onAbsent && r === 'not-found' ? ` (probed on the absent repository ${PROBE_REPOSITORY}).` : '.'),
        },
        false,
      );
    const repositoryName = PROBE_REPOSITORY;
    const imageId = { imageTag: 'latest' };
    return [
      probe(
        'ecr:DescribeRepositories',
        () => ecr.send(new DescribeRepositoriesCommand({ maxResults: 1 })),
        false,
      ),
      probe(
        'ecr:DescribeImages',
        () => ecr.send(new DescribeImagesCommand({ repositoryName, maxResults: 1 })),
        true,
      ),
      probe(
        'ecr:BatchGetImage',
        () => ecr.send(new BatchGetImageCommand({ repositoryName, imageIds: [imageId] })),
        true,
      ),
      probe(
        'ecr:DescribeImageScanFindings',
        () => ecr.send(new DescribeImageScanFindingsCommand({ repositoryName, imageId, maxResults: 1 })),
        true,
      ),
    ];
  }

  private registryCheck(
    tok: CheckOutcome<EcrAuthToken>,
    registryUrl: string | undefined,
    credentialsKey: string,
    context: Partial<ClassifyContext>,
  ): Promise<{ check: EcrCheck }> {
    if (!tok.ok || !registryUrl) {
      const why = tok.ok
        ? 'Skipped: the account is unknown (identity failed) and no registry endpoint override is set.'
        : 'Skipped: no ECR authorization token (ecr:GetAuthorizationToken failed).';
      return Promise.resolve(this.recorder.skipped('registry', why, false));
    }
    const deps = {
      clients: this.ctx.clients,
      redactor: this.ctx.redactor,
      timeoutMs: this.ctx.requestTimeoutMs ?? 10_000,
      transport: this.ctx.registryTransport,
    };
    return this.recorder.run(
      {
        name: 'registry',
        endpoint: registryUrl,
        fn: () => checkRegistry(registryUrl, tok.value, credentialsKey, deps),
        context,
        describe: () => `The registry ${registryUrl} accepted the ECR token (GET /v2/ → 200).`,
      },
      false,
    );
  }

  private regionCheck(): void {
    const start = performance.now();
    const done = (c: Omit<EcrCheck, 'name' | 'durationMs'>): void =>
      this.recorder.emit({ name: 'region', durationMs: Math.round(performance.now() - start), ...c });
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

  /** Reports every check not yet run as skipped because of `reason`, then the overall result. */
  private finish(identity: EcrCallerIdentity | undefined, reason?: string): EcrTestResult {
    if (reason) this.recorder.skipRest(checkOrder(this.input.auth.mode), reason);
    const checks = this.recorder.checks;
    return {
      ok: checks.every((c) => c.ok),
      runtime: { name: this.ctx.runtime.name, type: this.ctx.runtime.type },
      checks,
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
