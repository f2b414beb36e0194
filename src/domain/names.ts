import * as z from 'zod';

/**
 * Resource names become file and folder names in the shared configuration repository and Argo CD
 * namespaces, so they follow the Kubernetes DNS-1123 label rules: no dots, slashes or `..`, which also
 * rules out path traversal.
 */
export const ResourceName = z
  .string()
  .min(1, 'must not be empty')
  .max(63, 'must be at most 63 characters')
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    'must be lowercase letters, digits and dashes, starting and ending with a letter or digit (e.g. prod-ecr)',
  );
export type ResourceName = z.infer<typeof ResourceName>;

/**
 * AWS region names as the SDK's partitions spell them: us-east-1, eu-central-2, us-gov-west-1, cn-north-1,
 * us-isob-east-1, eusc-de-east-1 (European Sovereign Cloud).
 */
export const AwsRegion = z
  .string()
  .regex(/^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/, 'must be an AWS region name such as us-east-1 or eu-west-1');

/**
 * IAM role ARNs: arn:<partition>:iam::<12-digit account>:role/<optional path/><name>.
 * Role names are 1–64 characters of [\w+=,.@-]; paths are /…/ segments of the same characters.
 */
export const IamRoleArn = z
  .string()
  .max(2048)
  .regex(
    /^arn:aws(-cn|-us-gov|-iso|-iso-b|-iso-e|-iso-f|-eusc)?:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/,
    'must be an IAM role ARN such as arn:aws:iam::123456789012:role/imagetrail-ecr',
  );

/** Access key IDs are 16–128 word characters; AWS keys start with AKIA (long-term) or ASIA (temporary). */
export const AccessKeyId = z
  .string()
  .regex(
    /^[A-Z0-9]{16,128}$/,
    'must be an AWS access key ID (16–128 uppercase letters and digits, e.g. AKIA…)',
  );

/** STS limits: ExternalId 2–1224 of [\w+=,.@:/-]; RoleSessionName 2–64 of [\w+=,.@-]. */
export const ExternalId = z
  .string()
  .regex(/^[\w+=,.@:/-]{2,1224}$/, 'must be 2–1224 characters of letters, digits and +=,.@:/-');
export const RoleSessionName = z
  .string()
  .regex(/^[\w+=,.@-]{2,64}$/, 'must be 2–64 characters of letters, digits and +=,.@-');

/**
 * Endpoint overrides: absolute http(s) URLs with a host, without credentials, query or fragment. One
 * check that parses once: zod runs every refinement even after one fails, so a later `new URL()` would
 * throw on input an earlier check had already refused.
 */
export const EndpointUrl = httpUrl({ query: false, example: 'https://api.ecr.eu-west-1.amazonaws.com' });

/**
 * Links CI sends (workflow and logs URLs) that the dashboard renders as links: http(s) only, so a
 * `javascript:` or `data:` URL never becomes a clickable link; a query is fine, credentials are not.
 */
export const LinkUrl = httpUrl({ query: true, example: 'https://github.com/acme/app/actions/runs/42' });

function httpUrl(opts: { query: boolean; example: string }) {
  return z
    .string()
    .max(2048, 'must be at most 2048 characters')
    .check((ctx) => {
      const problem = httpUrlProblem(ctx.value, opts.query, `such as ${opts.example}`);
      if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
    });
}

function httpUrlProblem(s: string, allowQuery: boolean, example: string): string | undefined {
  if (s.trim() === '') return `must not be empty: give an absolute URL ${example}`;
  if (s !== s.trim() || /[\s\p{Cc}]/u.test(s)) {
    return 'must not contain spaces or control characters';
  }
  const u = URL.canParse(s) ? new URL(s) : undefined; // URL.parse needs Node 22.1
  if (!u) return `must be an absolute URL ${example}`;
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'must use http or https';
  if (u.hostname === '') return `must name a host, ${example}`;
  if (u.username || u.password) {
    return 'must not contain credentials (user:password@): keep secrets out of URLs';
  }
  if (!allowQuery && (u.search || u.hash || s.includes('?') || s.includes('#'))) {
    return 'must not contain a query or a fragment';
  }
  return undefined;
}
