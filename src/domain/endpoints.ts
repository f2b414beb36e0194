import { InputError } from './errors.js';

/**
 * Where credentials may be sent. Endpoint URLs are written by admins through the API and by anyone who can
 * push to the shared configuration repository, so they are hostile input: a Git writer must not be able to
 * point an integration's secret at a host of their choosing in clear text, nor at the cloud metadata
 * service. Rules (ADR 0007, hostile input):
 *
 * - Link-local and metadata addresses are always refused, allowlisted or not.
 * - `https://` is required, except for loopback hosts and hosts on the server's allowlist.
 * - ECR API and STS overrides (`aws` endpoints) must be AWS hosts, loopback, or allowlisted.
 *
 * The allowlist (`imagetrail serve --allow-endpoint PATTERN`, repeatable) holds `host` or `host:port`
 * patterns; `*` matches any run of characters within the host (`*.corp.example`, `10.0.0.*`), a pattern
 * without a port matches every port, IPv6 hosts are written in brackets (`[fd00::1]:8443`), and matching
 * ignores case.
 */
export interface EndpointPolicy {
  readonly allow: readonly string[];
}

export const STRICT_ENDPOINTS: EndpointPolicy = { allow: [] };

/** Cloud metadata services by name; by address they fall in the ranges checked below. */
const METADATA_HOSTS = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.azure.internal',
  '100.100.100.200', // Alibaba Cloud
  '[fd00:ec2::254]', // AWS IMDS over IPv6
]);

/** AWS partitions' service domains (commercial, China, dual-stack, Lambda URLs, ISO, EU sovereign). */
const AWS_SUFFIXES = [
  '.amazonaws.com',
  '.amazonaws.com.cn',
  '.api.aws',
  '.on.aws',
  '.c2s.ic.gov',
  '.sc2s.sgov.gov',
  '.cloud.adc-e.uk',
  '.csp.hci.ic.gov',
  '.amazonaws.eu',
];

const PATTERN = /^(\[[0-9a-f:.*]+\]|[a-z0-9*][a-z0-9.*_-]*)(:(\d{1,5}|\*))?$/i;

/** Checks `--allow-endpoint` patterns when the server starts; the message says what is wrong. */
export function parseEndpointPolicy(patterns: readonly string[]): EndpointPolicy {
  const allow = patterns.map((p) => p.trim().toLowerCase()).filter((p) => p !== '');
  const bad = allow.filter((p) => !PATTERN.test(p) || p.replace(/[*.:[\]]/g, '') === '');
  if (bad.length > 0) {
    throw new InputError(`Not endpoint patterns: ${bad.join(', ')}.`, {
      hints: ['Give a host or host:port, with * as a wildcard: --allow-endpoint registry.corp.example:5000'],
    });
  }
  return { allow };
}

export interface EndpointRule {
  /** The field, as the caller named it (`ecr.endpoints.api`, `spec.jira.baseUrl`). */
  field: string;
  /** ECR API and STS overrides: AWS hosts only, unless loopback or allowlisted. */
  aws?: boolean;
}

/** Why `raw` may not carry credentials under `policy`, or undefined when it may. */
export function endpointProblem(raw: string, rule: EndpointRule, policy: EndpointPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `${rule.field}: "${raw}" is not a URL`;
  }
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (isMetadata(host)) {
    return `${rule.field}: ${host} is a link-local or cloud metadata address; credentials are never sent there`;
  }
  if (isLoopback(host)) return undefined;
  const allowed = policy.allow.some((p) => matches(p, host, url));
  if (url.protocol !== 'https:' && !allowed) {
    return `${rule.field}: ${url.origin} is not https; use https://, or let the server allow this host with imagetrail serve --allow-endpoint ${url.host}`;
  }
  if (rule.aws && !allowed && !AWS_SUFFIXES.some((s) => host.endsWith(s))) {
    return `${rule.field}: ${host} is not an AWS endpoint (*.amazonaws.com, *.api.aws, …); to use a VPC or private endpoint elsewhere, start the server with --allow-endpoint ${url.host}`;
  }
  return undefined;
}

/** Throws an InputError naming every field whose endpoint may not carry credentials. */
export function assertEndpoints(
  urls: ReadonlyArray<{ url: string | undefined; rule: EndpointRule }>,
  policy: EndpointPolicy,
): void {
  const problems = urls
    .filter((u): u is { url: string; rule: EndpointRule } => typeof u.url === 'string')
    .map((u) => ({ path: u.rule.field, message: endpointProblem(u.url, u.rule, policy) }))
    .filter((p): p is { path: string; message: string } => p.message !== undefined);
  if (problems.length === 0) return;
  throw new InputError(problems.map((p) => p.message).join('; '), {
    details: problems,
    hints: ['Credential-bearing endpoints must be https:// (loopback aside) and never a metadata address.'],
  });
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost') || host === '[::1]') return true;
  return (
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host)
  );
}

function isMetadata(host: string): boolean {
  if (METADATA_HOSTS.has(host)) return true;
  if (/^169\.254\.\d{1,3}\.\d{1,3}$/.test(host)) return true;
  // IPv6 link-local fe80::/10, and IPv4-mapped link-local (::ffff:169.254.x.x is written ::ffff:a9fe:xxxx).
  if (/^\[fe[89ab][0-9a-f]?:/.test(host)) return true;
  return /^\[::ffff:a9fe:[0-9a-f]{1,4}\]$/.test(host);
}

function matches(pattern: string, host: string, url: URL): boolean {
  const close = pattern.startsWith('[') ? pattern.indexOf(']') + 1 : 0;
  const colon = pattern.indexOf(':', close);
  const hostPattern = colon === -1 ? pattern : pattern.slice(0, colon);
  const portPattern = colon === -1 ? '*' : pattern.slice(colon + 1);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  if (portPattern !== '*' && portPattern !== port) return false;
  // Glob to an anchored regex: everything escaped, `*` → any run of characters.
  return new RegExp(`^${hostPattern.split('*').map(escape).join('.*')}$`).test(host);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
