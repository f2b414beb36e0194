import { partition } from '@aws-sdk/core/client';

/** What an ECR registry host says about itself. */
export interface EcrHost {
  /** Lowercased host, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com */
  host: string;
  account: string;
  region: string;
  fips: boolean;
  /** AWS partition: aws, aws-cn, aws-us-gov. */
  partition: 'aws' | 'aws-cn' | 'aws-us-gov';
}

// Private registries only; dual-stack hosts (`dkr-ecr.<region>.on.aws`) and ECR Public are not handled.
const ECR_HOST = /^(\d{12})\.dkr\.ecr(-fips)?\.([a-z]{2}(?:-gov)?-[a-z]+-\d{1,2})\.amazonaws\.com(\.cn)?$/;

/**
 * Parses `<acct>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]` (an optional `:443` is tolerated). Returns
 * undefined for anything else, including hosts whose region and suffix disagree (cn-* outside .com.cn), so
 * callers can fall back to treating the host as a generic registry.
 */
export function parseEcrHost(input: string): EcrHost | undefined {
  const host = input.trim().toLowerCase().replace(/:443$/, '');
  const m = ECR_HOST.exec(host);
  if (!m) return undefined;
  const [, account, fips, region, cn] = m;
  if (account === undefined || region === undefined) return undefined;
  const isCnRegion = region.startsWith('cn-');
  if (isCnRegion !== (cn !== undefined)) return undefined;
  const part = isCnRegion ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return { host, account, region, fips: fips !== undefined, partition: part };
}

/**
 * The registry host for an account and region, the inverse of `parseEcrHost`. The DNS suffix comes from the
 * SDK's partition data so China regions get `.amazonaws.com.cn`.
 */
export function ecrRegistryHost(account: string, region: string, opts: { fips?: boolean } = {}): string {
  const { dnsSuffix } = partition(region);
  return `${account}.dkr.ecr${opts.fips ? '-fips' : ''}.${region}.${dnsSuffix}`;
}

/**
 * Whether the SDK's partition data lists the region. A region the data does not list may still be real
 * (newer than the installed SDK), so callers report it rather than refuse it outright.
 */
export function isKnownRegion(region: string): boolean {
  // partition() answers every input (falling back to the aws partition); only listed regions carry a description.
  return (partition(region) as { description?: string }).description !== undefined;
}
