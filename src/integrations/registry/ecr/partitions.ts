import { AwsRegion } from '../../../domain/names.js';

/**
 * The AWS partitions, as the SDK's partition data (`@aws-sdk/core`, util-endpoints `partitions.js`) lists
 * them. The SDK exports only a per-region lookup, not the list, and parsing a registry host needs the list
 * (which region regex, which suffix). `partitions.test.ts` compares this table field by field with the data
 * shipped in node_modules, so an SDK upgrade that adds or changes a partition fails until it is added here.
 */
export interface AwsPartition {
  id: 'aws' | 'aws-cn' | 'aws-us-gov' | 'aws-iso' | 'aws-iso-b' | 'aws-iso-e' | 'aws-iso-f' | 'aws-eusc';
  regionRegex: RegExp;
  /** IPv4 endpoints: `<acct>.dkr.ecr.<region>.<dnsSuffix>`, `api.ecr.<region>.<dnsSuffix>`. */
  dnsSuffix: string;
  /** Dual-stack API endpoints: `ecr.<region>.<dualStackDnsSuffix>`. */
  dualStackDnsSuffix: string;
}

export type PartitionId = AwsPartition['id'];

export const AWS_PARTITIONS: readonly AwsPartition[] = [
  {
    id: 'aws',
    regionRegex: /^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/,
    dnsSuffix: 'amazonaws.com',
    dualStackDnsSuffix: 'api.aws',
  },
  {
    id: 'aws-cn',
    regionRegex: /^cn-\w+-\d+$/,
    dnsSuffix: 'amazonaws.com.cn',
    dualStackDnsSuffix: 'api.amazonwebservices.com.cn',
  },
  {
    id: 'aws-eusc',
    regionRegex: /^eusc-(de)-\w+-\d+$/,
    dnsSuffix: 'amazonaws.eu',
    dualStackDnsSuffix: 'api.amazonwebservices.eu',
  },
  {
    id: 'aws-iso',
    regionRegex: /^us-iso-\w+-\d+$/,
    dnsSuffix: 'c2s.ic.gov',
    dualStackDnsSuffix: 'api.aws.ic.gov',
  },
  {
    id: 'aws-iso-b',
    regionRegex: /^us-isob-\w+-\d+$/,
    dnsSuffix: 'sc2s.sgov.gov',
    dualStackDnsSuffix: 'api.aws.scloud',
  },
  {
    id: 'aws-iso-e',
    regionRegex: /^eu-isoe-\w+-\d+$/,
    dnsSuffix: 'cloud.adc-e.uk',
    dualStackDnsSuffix: 'api.cloud-aws.adc-e.uk',
  },
  {
    id: 'aws-iso-f',
    regionRegex: /^us-isof-\w+-\d+$/,
    dnsSuffix: 'csp.hci.ic.gov',
    dualStackDnsSuffix: 'api.aws.hci.ic.gov',
  },
  {
    id: 'aws-us-gov',
    regionRegex: /^us-gov-\w+-\d+$/,
    dnsSuffix: 'amazonaws.com',
    dualStackDnsSuffix: 'api.aws',
  },
];

/** The partition whose region regex matches, or undefined (the SDK would silently fall back to `aws`). */
export function partitionOf(region: string): AwsPartition | undefined {
  return AWS_PARTITIONS.find((p) => p.regionRegex.test(region));
}

/**
 * ECR's dual-stack registry hosts live under `on.` where the API's dual-stack endpoints live under `api.`:
 * `<acct>.dkr-ecr.<region>.on.aws` (AWS docs, "Using dual-stack endpoints") and
 * `….on.amazonwebservices.com.cn` (amazon-ecr-credential-helper). For the other partitions the same rule is
 * applied to the partition data's dualStackDnsSuffix; AWS does not document those hosts.
 */
export function dualStackRegistrySuffix(p: AwsPartition): string {
  return `on.${p.dualStackDnsSuffix.replace(/^api\./, '')}`;
}

/**
 * A region name an ECR integration can use: well formed and in a partition whose registry hosts imagetrail
 * recognizes, so that images of the integration's region can be reported at all.
 */
export const EcrRegion = AwsRegion.refine((r) => partitionOf(r) !== undefined, {
  error: (issue) =>
    `region ${String(issue.input)} is in no AWS partition this imagetrail build knows (${AWS_PARTITIONS.map((p) => p.id).join(', ')}), so no ECR image host of it could be recognized`,
});
