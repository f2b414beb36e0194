import { AuthenticationError } from '../../../domain/errors.js';
import type { Redactor } from '../../../logging/redactor.js';

import { codeEntry, type AwsErrorClass } from './codes/index.js';

export type { AwsErrorClass };

export interface ClassifiedAwsError {
  errorClass: AwsErrorClass;
  /** Redacted; safe to show and log. */
  message: string;
  /** Redacted; concrete fixes, printed as "Try this:". */
  hints: string[];
  /** The IAM action that failed, when known (from the message or the context). */
  action?: string;
}

export interface ClassifyContext {
  redactor: Redactor;
  /** IAM action the failing call needed, e.g. `ecr:DescribeImages` or `sts:AssumeRole`. */
  action?: string;
  /** Role being assumed (role mode). */
  roleArn?: string;
  externalId?: string;
  /** Principal making the call when known from an earlier GetCallerIdentity; used when AWS does not name it. */
  callerArn?: string;
  /** Where the call went, for unreachable/timeout messages. */
  endpoint?: string;
  region?: string;
  /** Whether the region is listed in the SDK's partition data; turns DNS failures into `unknown-region`. */
  regionKnown?: boolean;
  /** Whose credentials were used, for key errors: "the access key AKIA…", "the runtime's identity". */
  credentialsLabel?: string;
}

/** Role mode on a runtime without a cloud identity (hosted): nothing to chain from. */
export class NoAmbientCredentialsError extends AuthenticationError {}

/** A registry `/v2/` answer other than 200. Status is what classification needs. */
export class RegistryHttpError extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
    message: string,
  ) {
    super(message);
    this.name = 'RegistryHttpError';
  }
}

/** AmazonEC2ContainerRegistryReadOnly, v3 (ecr-sts-iam.md §4.1). */
export const READ_ONLY_ACTIONS: readonly string[] = [
  'ecr:GetAuthorizationToken',
  'ecr:BatchCheckLayerAvailability',
  'ecr:GetDownloadUrlForLayer',
  'ecr:GetRepositoryPolicy',
  'ecr:DescribeRepositories',
  'ecr:ListImages',
  'ecr:DescribeImages',
  'ecr:BatchGetImage',
  'ecr:GetLifecyclePolicy',
  'ecr:GetLifecyclePolicyPreview',
  'ecr:ListTagsForResource',
  'ecr:DescribeImageScanFindings',
];
const POWER_USER_EXTRA_ACTIONS: readonly string[] = [
  'ecr:InitiateLayerUpload',
  'ecr:UploadLayerPart',
  'ecr:CompleteLayerUpload',
  'ecr:PutImage',
];

/** The narrowest AWS managed policy granting an ECR action. */
export function managedPolicyFor(action: string): string | undefined {
  if (READ_ONLY_ACTIONS.includes(action)) return 'AmazonEC2ContainerRegistryReadOnly';
  if (POWER_USER_EXTRA_ACTIONS.includes(action)) return 'AmazonEC2ContainerRegistryPowerUser';
  if (action.startsWith('ecr:')) return 'AmazonEC2ContainerRegistryFullAccess';
  return undefined;
}

/**
 * Trust policies name roles, not sessions: `arn:aws:sts::A:assumed-role/R/s` → `arn:aws:iam::A:role/R`.
 * The role's path is not in the session ARN, so a role with a path needs it added by hand.
 */
export function policyPrincipalArn(arn: string): string {
  const m = /^arn:([\w-]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(arn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : arn;
}

/** The statement to add to the role's trust policy so `callerArn` may assume it. */
export function trustPolicyStatement(callerArn: string, externalId?: string): string {
  const statement: Record<string, unknown> = {
    Effect: 'Allow',
    Principal: { AWS: policyPrincipalArn(callerArn) },
    Action: 'sts:AssumeRole',
  };
  if (externalId !== undefined) statement['Condition'] = { StringEquals: { 'sts:ExternalId': externalId } };
  return JSON.stringify(statement);
}

const UNKNOWN_KEY = new Set(['InvalidClientTokenId', 'UnrecognizedClientException']);
const WRONG_SECRET = new Set(['SignatureDoesNotMatch', 'InvalidSignatureException']);
const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired']);
const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException']);
// Same list the SDK's retry strategy treats as throttling (ecr-sts-iam.md §2.3), minus capacity errors of other services.
const THROTTLED = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'SlowDown',
  'LimitExceededException',
]);
const TIMEOUT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'AbortError']);
const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'EPIPE',
  'EADDRNOTAVAIL',
  'UND_ERR_SOCKET',
]);
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN']);

interface ErrorFacts {
  names: Set<string>;
  codes: Set<string>;
  status: number | undefined;
  message: string;
}

/** Names, errno codes and HTTP status across the cause chain (fetch wraps socket errors in `cause`). */
function facts(err: unknown): ErrorFacts {
  const names = new Set<string>();
  const codes = new Set<string>();
  let status: number | undefined;
  let message = '';
  const seen = new Set<unknown>();
  const visit = (e: unknown, depth: number): void => {
    if (!e || typeof e !== 'object' || seen.has(e) || depth > 6) return;
    seen.add(e);
    const o = e as Record<string, unknown>;
    for (const k of ['name', 'Code', '__type']) {
      const v = o[k];
      // JSON protocol __type may be namespaced: "com.amazonaws…#ThrottlingException".
      if (typeof v === 'string' && v) names.add(v.split('#').pop() ?? v);
    }
    if (typeof o['code'] === 'string') codes.add(o['code']);
    const meta = o['$metadata'] as { httpStatusCode?: unknown } | undefined;
    if (status === undefined && typeof meta?.httpStatusCode === 'number') status = meta.httpStatusCode;
    if (e instanceof RegistryHttpError) status = e.status;
    if (!message && typeof o['message'] === 'string') message = o['message'];
    visit(o['cause'], depth + 1);
    if (Array.isArray(o['errors'])) for (const x of o['errors']) visit(x, depth + 1); // AggregateError
  };
  visit(err, 0);
  return { names, codes, status, message };
}

const any = (set: Set<string>, want: Set<string>): boolean => [...set].some((x) => want.has(x));

/**
 * Turns whatever the AWS SDK, Node's sockets or the registry threw into one of a fixed set of classes with
 * a message that says what failed and hints that say what to do. Never throws; output is redacted.
 */
export function classifyAwsError(err: unknown, ctx: ClassifyContext): ClassifiedAwsError {
  const out = classify(err, ctx);
  return {
    ...out,
    message: ctx.redactor.redact(out.message),
    hints: out.hints.map((h) => ctx.redactor.redact(h)),
  };
}

function classify(err: unknown, ctx: ClassifyContext): ClassifiedAwsError {
  const f = facts(err);
  const raw = f.message || String(err);
  const who = ctx.credentialsLabel ?? 'the credentials';
  const where = ctx.endpoint ? ` (${ctx.endpoint})` : '';
  const withAction = (c: ClassifiedAwsError): ClassifiedAwsError =>
    ctx.action !== undefined && c.action === undefined ? { ...c, action: ctx.action } : c;

  if (err instanceof NoAmbientCredentialsError || f.names.has('CredentialsProviderError')) {
    return withAction({
      errorClass: 'no-ambient-credentials',
      message:
        err instanceof NoAmbientCredentialsError
          ? err.message
          : `The runtime has no AWS identity to chain from: ${raw}`,
      hints: [
        'IAM-role mode needs a hybrid runtime running with an AWS identity (IRSA, EKS Pod Identity, an ECS task role, an EC2 instance profile, or AWS_* environment variables).',
        'On a hosted runtime, use access-key mode instead.',
      ],
    });
  }

  if (err instanceof RegistryHttpError) {
    if (err.status === 401 || err.status === 403) {
      return {
        errorClass: 'registry-auth',
        action: 'ecr:GetAuthorizationToken',
        message: `The registry ${err.url} refused the ECR authorization token (HTTP ${err.status}).`,
        hints: [
          'Check that the registry endpoint belongs to the same account and region as the credentials.',
          'If a registry endpoint override is set, check that it points at the ECR registry (https://<account>.dkr.ecr.<region>.amazonaws.com).',
        ],
      };
    }
    if (err.status === 429) {
      return {
        errorClass: 'throttled',
        message: `The registry ${err.url} is throttling requests (HTTP 429).`,
        hints: ['Retry later; reduce concurrent reports for this registry.'],
      };
    }
    return { errorClass: 'unknown', message: err.message, hints: [] };
  }

  if (any(f.names, UNKNOWN_KEY)) {
    return withAction({
      errorClass: 'unknown-access-key',
      message: `AWS does not know the access key ID of ${who}: ${raw}`,
      hints: [
        'Check the access key ID for typos, and that the key was not deleted or deactivated (IAM → Users → Security credentials).',
        'Check that the key belongs to the partition of the region (aws, aws-cn, aws-us-gov).',
      ],
    });
  }
  if (any(f.names, WRONG_SECRET)) {
    return withAction({
      errorClass: 'wrong-secret',
      message: `AWS rejected the request signature: the secret access key does not match the access key ID of ${who}.`,
      hints: [
        'Re-enter the secret access key that was shown when the access key was created; if it is lost, create a new access key.',
      ],
    });
  }
  if (any(f.names, EXPIRED)) {
    return withAction({
      errorClass: 'expired-credentials',
      message: `The credentials of ${who} have expired: ${raw}`,
      hints: [
        'Temporary credentials (ASIA… keys, session tokens) cannot be stored in an integration; use a long-term access key or IAM-role mode.',
        'Check the runtime clock: a clock off by more than 5 minutes makes valid requests look expired.',
      ],
    });
  }

  if (any(f.names, THROTTLED) || f.status === 429) {
    return withAction({
      errorClass: 'throttled',
      message: `AWS throttled ${ctx.action ?? 'the request'} even after the SDK's retries: ${raw}`,
      hints: [
        'Retry later; if it persists, lower the report rate or request a higher quota for the API in Service Quotas.',
      ],
    });
  }

  if (any(f.names, TIMEOUT_NAMES) || any(f.codes, TIMEOUT_CODES)) {
    return withAction({
      errorClass: 'timeout',
      message: `No answer in time from ${ctx.endpoint ?? 'the AWS endpoint'}: ${raw}`,
      hints: [
        'Check that the runtime can reach the endpoint (security groups, proxies, VPC endpoints, NAT).',
        'If the network is slow, raise the request timeout.',
      ],
    });
  }

  if (any(f.codes, UNREACHABLE_CODES)) {
    if (any(f.codes, DNS_CODES) && ctx.regionKnown === false) {
      return withAction(unknownRegion(ctx, raw));
    }
    return withAction({
      errorClass: 'endpoint-unreachable',
      message: `Cannot reach ${ctx.endpoint ?? 'the AWS endpoint'}: ${raw}`,
      hints: [
        'Check the endpoint override URL, DNS and outbound network access from the runtime.',
        'In a private subnet, check the VPC endpoints (com.amazonaws.<region>.ecr.api, .ecr.dkr, .sts) or the NAT route.',
      ],
    });
  }

  // Codes the tables in codes/ describe fully; AccessDenied and RegionDisabled below need more context.
  const coded = codeEntry(f.names);
  if (coded && coded.entry.via !== 'rules') {
    const { errorClass, meaning, hints } = coded.entry;
    return withAction({
      errorClass,
      message: `${meaning} (${coded.code})${where}: ${raw}`,
      hints: [...hints],
    });
  }

  if (f.names.has('RegionDisabledException') || /invalid region|region is missing/i.test(raw)) {
    return withAction(unknownRegion(ctx, raw));
  }

  const denied = any(f.names, ACCESS_DENIED) || f.status === 403;
  const assumeRole = ctx.action === 'sts:AssumeRole' || /perform: sts:AssumeRole\b/.test(raw);
  if (denied && assumeRole) return trustFailure(ctx, raw);

  if (denied) return ecrDenied(ctx, raw);

  const status = f.status !== undefined ? ` (HTTP ${f.status})` : '';
  const name = [...f.names][0] ?? 'Error';
  return withAction({ errorClass: 'unknown', message: `${name}${status}${where}: ${raw}`, hints: [] });
}

function unknownRegion(ctx: ClassifyContext, raw: string): ClassifiedAwsError {
  return {
    errorClass: 'unknown-region',
    message: `The region ${ctx.region ?? ''} is not known or not enabled for this account: ${raw}`,
    hints: [
      'Check the region name (e.g. eu-west-1).',
      'Opt-in regions must be enabled for the account (Account settings → AWS Regions).',
      'For a region newer than this imagetrail build, set an api endpoint override.',
    ],
  };
}

function callerOf(raw: string, ctx: ClassifyContext): string | undefined {
  return /User: (arn:\S+) is not authorized/.exec(raw)?.[1] ?? ctx.callerArn;
}

function trustFailure(ctx: ClassifyContext, raw: string): ClassifiedAwsError {
  const caller = callerOf(raw, ctx);
  const role = ctx.roleArn ?? 'the role';
  const principal = caller ? policyPrincipalArn(caller) : '<caller ARN>';
  const statement = trustPolicyStatement(principal, ctx.externalId);
  const identityHint = `The caller ${principal} also needs an identity policy allowing "sts:AssumeRole" on ${role}: {"Effect":"Allow","Action":"sts:AssumeRole","Resource":"${role}"}.`;
  if (ctx.externalId !== undefined) {
    return {
      errorClass: 'external-id',
      action: 'sts:AssumeRole',
      // AWS answers the same AccessDenied for every cause, so name both candidates.
      message: `${caller ?? 'The caller'} may not assume ${role}: either the external ID does not match the role's sts:ExternalId condition, or the role's trust policy does not name the caller (AWS does not say which).`,
      hints: [
        `Check that the external ID matches the role's trust policy condition; the role's trust policy should contain: ${statement}`,
        identityHint,
      ],
    };
  }
  return {
    errorClass: 'trust-policy',
    action: 'sts:AssumeRole',
    message: `${caller ?? 'The caller'} is not allowed to assume ${role}: the role's trust policy does not allow it.`,
    hints: [`Add this statement to the trust policy of ${role}: ${statement}`, identityHint],
  };
}

function ecrDenied(ctx: ClassifyContext, raw: string): ClassifiedAwsError {
  const action = /not authorized to perform:? (\w+:\w+)/.exec(raw)?.[1] ?? ctx.action ?? 'the ECR action';
  const caller = callerOf(raw, ctx);
  const principal = caller ? policyPrincipalArn(caller) : undefined;
  const resource = /on resource: (\S+)/.exec(raw)?.[1];
  const onResource = resource ? ` on ${resource}` : '';
  const by = caller ?? 'The principal';
  const partition = /^arn:([\w-]+):/.exec(principal ?? '')?.[1] ?? 'aws';
  const explicitDeny = /explicit deny/i.test(raw);

  if (/no resource-based policy allows/i.test(raw)) {
    return {
      errorClass: 'repository-policy',
      action,
      message: `${by} is not authorized to perform ${action}${onResource}: no resource-based policy (repository policy) allows it — the repository is in another account.`,
      hints: [
        `Add a repository policy statement allowing ${principal ?? 'the principal'} ${action}: {"Effect":"Allow","Principal":{"AWS":"${principal ?? '<principal ARN>'}"},"Action":["${action}"]}`,
      ],
    };
  }

  const policy = managedPolicyFor(action);
  const resourceScope =
    action === 'ecr:GetAuthorizationToken'
      ? '"*" (this action has no resource-level permissions)'
      : `"*" or the repository ARN`;
  const hints: string[] = [];
  if (explicitDeny) {
    hints.push(
      `An explicit Deny (identity policy, permissions boundary, SCP or session policy) blocks ${action}; adding an Allow will not help, remove or narrow the Deny.`,
    );
  }
  if (policy) {
    hints.push(
      `Attach the AWS managed policy ${policy} (arn:${partition}:iam::aws:policy/${policy}) to ${principal ?? 'the IAM user or role'}; it grants ${action}.`,
    );
  }
  hints.push(
    `Or add an identity policy statement: {"Effect":"Allow","Action":"${action}","Resource":"*"} (Resource ${resourceScope}).`,
  );

  // Real ECR says which policy type failed; moto's XML 403 does not, and for an own-account repository
  // the identity policy is the one that decides.
  const whichPolicy = explicitDeny
    ? 'an explicit deny blocks it'
    : /no identity-based policy allows/i.test(raw)
      ? 'no identity-based policy allows it'
      : 'no identity-based policy allows it (AWS did not say which policy; for a repository in the same account it is the identity policy)';
  return {
    errorClass: 'permission-missing',
    action,
    message: `${by} is not authorized to perform ${action}${onResource}: ${whichPolicy}.${policy ? ` The managed policy ${policy} grants it.` : ''}`,
    hints,
  };
}
