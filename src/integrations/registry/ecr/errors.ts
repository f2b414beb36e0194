import { AuthenticationError } from '../../../domain/errors.js';
import { ecrDenied, trustFailure } from './access-denied.js';
import type { ClassifiedAwsError, ClassifyContext } from './classified.js';
import { codeEntry, type AwsErrorClass } from './codes/index.js';

export type { AwsErrorClass };
export type { ClassifiedAwsError, ClassifyContext } from './classified.js';
export {
  managedPolicyFor,
  policyPrincipalArn,
  READ_ONLY_ACTIONS,
  trustPolicyStatement,
} from './access-denied.js';

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
  const where = ctx.endpoint ? ` (${ctx.endpoint})` : '';
  const withAction = (c: ClassifiedAwsError): ClassifiedAwsError =>
    ctx.action !== undefined && c.action === undefined ? { ...c, action: ctx.action } : c;

  if (err instanceof RegistryHttpError) return registryFailure(err);
  const early = credentialFailure(err, f, ctx, raw) ?? networkFailure(f, ctx, raw);
  if (early) return withAction(early);

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

/** A registry `/v2/` answer: the ECR token refused, or throttled. */
function registryFailure(err: RegistryHttpError): ClassifiedAwsError {
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

/** Credentials that cannot work: none to chain from, an unknown key, a wrong secret, expired ones. */
function credentialFailure(
  err: unknown,
  f: ErrorFacts,
  ctx: ClassifyContext,
  raw: string,
): ClassifiedAwsError | undefined {
  const who = ctx.credentialsLabel ?? 'the credentials';
  if (err instanceof NoAmbientCredentialsError || f.names.has('CredentialsProviderError')) {
    return {
      errorClass: 'no-ambient-credentials',
      message:
        err instanceof NoAmbientCredentialsError
          ? err.message
          : `The runtime has no AWS identity to chain from: ${raw}`,
      hints: [
        'IAM-role mode needs a hybrid runtime running with an AWS identity (IRSA, EKS Pod Identity, an ECS task role, an EC2 instance profile, or AWS_* environment variables).',
        'On a hosted runtime, use access-key mode instead.',
      ],
    };
  }

  if (any(f.names, UNKNOWN_KEY)) {
    return {
      errorClass: 'unknown-access-key',
      message: `AWS does not know the access key ID of ${who}: ${raw}`,
      hints: [
        'Check the access key ID for typos, and that the key was not deleted or deactivated (IAM → Users → Security credentials).',
        'Check that the key belongs to the partition of the region (aws, aws-cn, aws-us-gov).',
      ],
    };
  }
  if (any(f.names, WRONG_SECRET)) {
    return {
      errorClass: 'wrong-secret',
      message: `AWS rejected the request signature: the secret access key does not match the access key ID of ${who}.`,
      hints: [
        'Re-enter the secret access key that was shown when the access key was created; if it is lost, create a new access key.',
      ],
    };
  }
  if (any(f.names, EXPIRED)) {
    return {
      errorClass: 'expired-credentials',
      message: `The credentials of ${who} have expired: ${raw}`,
      hints: [
        'Temporary credentials (ASIA… keys, session tokens) cannot be stored in an integration; use a long-term access key or IAM-role mode.',
        'Check the runtime clock: a clock off by more than 5 minutes makes valid requests look expired.',
      ],
    };
  }

  return undefined;
}

/** Throttled, timed out or unreachable: worth a retry, or a network path to fix. */
function networkFailure(f: ErrorFacts, ctx: ClassifyContext, raw: string): ClassifiedAwsError | undefined {
  if (any(f.names, THROTTLED) || f.status === 429) {
    return {
      errorClass: 'throttled',
      message: `AWS throttled ${ctx.action ?? 'the request'} even after the SDK's retries: ${raw}`,
      hints: [
        'Retry later; if it persists, lower the report rate or request a higher quota for the API in Service Quotas.',
      ],
    };
  }

  if (any(f.names, TIMEOUT_NAMES) || any(f.codes, TIMEOUT_CODES)) {
    return {
      errorClass: 'timeout',
      message: `No answer in time from ${ctx.endpoint ?? 'the AWS endpoint'}: ${raw}`,
      hints: [
        'Check that the runtime can reach the endpoint (security groups, proxies, VPC endpoints, NAT).',
        'If the network is slow, raise the request timeout.',
      ],
    };
  }

  if (any(f.codes, UNREACHABLE_CODES)) {
    if (any(f.codes, DNS_CODES) && ctx.regionKnown === false) {
      return unknownRegion(ctx, raw);
    }
    return {
      errorClass: 'endpoint-unreachable',
      message: `Cannot reach ${ctx.endpoint ?? 'the AWS endpoint'}: ${raw}`,
      hints: [
        'Check the endpoint override URL, DNS and outbound network access from the runtime.',
        'In a private subnet, check the VPC endpoints (com.amazonaws.<region>.ecr.api, .ecr.dkr, .sts) or the NAT route.',
      ],
    };
  }

  return undefined;
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
