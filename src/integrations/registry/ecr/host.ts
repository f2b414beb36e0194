import { partition } from '@aws-sdk/core/client';
import { AWS_PARTITIONS, dualStackRegistrySuffix, partitionOf, type PartitionId } from './partitions.js';

/** What an ECR registry host says about itself. */
export interface EcrHost {
  /** Lowercased host, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com */
  host: string;
  account: string;
  region: string;
  /** `dkr.ecr-fips` / `dkr-ecr-fips`: API calls go to ECR's FIPS endpoint too. */
  fips: boolean;
  /** `dkr-ecr.<region>.on.aws` (IPv4 and IPv6): API calls go to ECR's dual-stack endpoint too. */
  dualStack: boolean;
  partition: PartitionId;
}

// `dkr.ecr` is the IPv4 registry, `dkr-ecr` the dual-stack one; the suffix is checked against the partition.
const ECR_HOST = /^(\d{12})\.dkr([.-])ecr(-fips)?\.([a-z]{2,4}(?:-[a-z]+)+-\d{1,2})\.([a-z0-9.-]+)$/;

/**
 * Parses a private ECR registry host of any partition in the SDK's partition data:
 * `<acct>.dkr.ecr[-fips].<region>.<dnsSuffix>` and the dual-stack `<acct>.dkr-ecr[-fips].<region>.on.<…>`
 * (an optional `:443` is tolerated). Returns undefined for anything else, including a suffix that is not the
 * region's partition's (cn-* outside .com.cn), so callers can say why the host is not one.
 */
export function parseEcrHost(input: string): EcrHost | undefined {
  const host = input.trim().toLowerCase().replace(/:443$/, '');
  const m = ECR_HOST.exec(host);
  if (!m) return undefined;
  const [, account, sep, fips, region, suffix] = m;
  if (account === undefined || region === undefined || suffix === undefined) return undefined;
  const p = partitionOf(region);
  if (!p) return undefined;
  const dualStack = sep === '-';
  if (suffix !== (dualStack ? dualStackRegistrySuffix(p) : p.dnsSuffix)) return undefined;
  return { host, account, region, fips: fips !== undefined, dualStack, partition: p.id };
}

/**
 * The registry host for an account and region, the inverse of `parseEcrHost`. The DNS suffix comes from the
 * partition data so China regions get `.amazonaws.com.cn`, ISO regions `.c2s.ic.gov`, and so on.
 */
export function ecrRegistryHost(
  account: string,
  region: string,
  opts: { fips?: boolean; dualStack?: boolean } = {},
): string {
  const p = partitionOf(region);
  const fips = opts.fips ? '-fips' : '';
  if (opts.dualStack && p) return `${account}.dkr-ecr${fips}.${region}.${dualStackRegistrySuffix(p)}`;
  return `${account}.dkr.ecr${fips}.${region}.${p?.dnsSuffix ?? partition(region).dnsSuffix}`;
}

/**
 * Whether the SDK's partition data lists the region. A region the data does not list may still be real
 * (newer than the installed SDK), so callers report it rather than refuse it outright.
 */
export function isKnownRegion(region: string): boolean {
  // partition() answers every input (falling back to the aws partition); only listed regions carry a description.
  return (partition(region) as { description?: string }).description !== undefined;
}

/** The host forms imagetrail recognizes, for messages. */
export const ECR_HOST_FORMS = [
  '<account>.dkr.ecr.<region>.<partition suffix> (amazonaws.com, amazonaws.com.cn, amazonaws.eu, c2s.ic.gov, sc2s.sgov.gov, cloud.adc-e.uk, csp.hci.ic.gov)',
  '<account>.dkr.ecr-fips.<region>.<partition suffix> (FIPS)',
  '<account>.dkr-ecr[-fips].<region>.on.aws (dual-stack; on.amazonwebservices.com.cn in China)',
];

/**
 * Why a host is not a private ECR registry host, for the error a report gets. ECR Public gets its own answer:
 * its registry (`public.ecr.aws`) is anonymous-pull and has its own API (`ecr-public`, us-east-1 only), which
 * registry.ecr integrations do not call.
 */
export function notEcrHostReason(input: string): { message: string; hints: string[] } {
  const host = input.trim().toLowerCase().replace(/:443$/, '');
  if (host === 'public.ecr.aws' || host === 'ecr-public.aws.com') {
    return {
      message: `${host} is Amazon ECR Public, which registry.ecr integrations do not support: they read private ECR registries (<account>.dkr.ecr.<region>.amazonaws.com) through the ECR API.`,
      hints: [
        'Report the image from the private ECR repository it was pushed to or replicated into (for example a pull-through cache rule for ECR Public in your own registry: <account>.dkr.ecr.<region>.amazonaws.com/ecr-public/<repository>).',
      ],
    };
  }
  const region = /\.dkr[.-]ecr(?:-fips)?\.([a-z0-9-]+)\./.exec(host)?.[1];
  const p = region ? partitionOf(region) : undefined;
  return {
    message: `${input} is not an Amazon ECR registry host, but the integration is of type registry.ecr.${
      region && !p
        ? ` Its region ${region} is in no AWS partition this build knows (${AWS_PARTITIONS.map((x) => x.id).join(', ')}).`
        : region && p
          ? ` Registry hosts of ${region} end in .${p.dnsSuffix} (or .${dualStackRegistrySuffix(p)} for dual-stack), with a 12-digit account.`
          : ''
    }`,
    hints: [
      `Report the image by its ECR name, e.g. ${ecrRegistryHost('123456789012', region && p ? region : 'eu-west-1')}/app:1.0.`,
      `Recognized host forms: ${ECR_HOST_FORMS.join('; ')}.`,
    ],
  };
}
