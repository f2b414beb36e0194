import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ecrRegistryHost, isKnownRegion, notEcrHostReason, parseEcrHost } from './host.js';
import { AWS_PARTITIONS, type PartitionId } from './partitions.js';

const A = '123456789012';

// Host forms from:
// - AWS, "Amazon ECR private registry" (userguide/Registries.html): `aws_account_id.dkr.ecr.region.amazonaws.com`.
// - AWS, "Making requests to Amazon ECR registries" (userguide/ecr-requests.html): dual-stack registry
//   `<registry-id>.dkr-ecr.<aws-region>.on.aws`, API `ecr.<aws-region>.api.aws`; FIPS endpoints in select regions.
// - ../shared/reference/codefresh-client-argo-aws.md §4.2: the host table (FIPS, GovCloud, China, dual-stack
//   China `on.amazonwebservices.com.cn`, ISO c2s.ic.gov / sc2s.sgov.gov / cloud.adc-e.uk / csp.hci.ic.gov,
//   European Sovereign Cloud amazonaws.eu) that amazon-ecr-credential-helper and cloud-provider-aws accept.
// - ../shared/reference/ecr-sts-iam.md §1.4: `proxyEndpoint` `https://<aws_account_id>.dkr.ecr.<region>.amazonaws.com`.
describe('parseEcrHost', () => {
  it.each([
    [`${A}.dkr.ecr.eu-west-1.amazonaws.com`, 'eu-west-1', 'aws', false, false],
    [`${A}.dkr.ecr.us-west-2.amazonaws.com`, 'us-west-2', 'aws', false, false],
    [`${A}.dkr.ecr-fips.us-east-1.amazonaws.com`, 'us-east-1', 'aws', true, false],
    [`${A}.dkr.ecr.ap-southeast-5.amazonaws.com`, 'ap-southeast-5', 'aws', false, false],
    [`${A}.dkr.ecr.mx-central-1.amazonaws.com`, 'mx-central-1', 'aws', false, false],
    [`${A}.dkr.ecr.il-central-1.amazonaws.com`, 'il-central-1', 'aws', false, false],
    [`${A}.dkr.ecr.ca-west-1.amazonaws.com`, 'ca-west-1', 'aws', false, false],
    [`${A}.dkr.ecr.cn-north-1.amazonaws.com.cn`, 'cn-north-1', 'aws-cn', false, false],
    [`${A}.dkr.ecr.us-gov-west-1.amazonaws.com`, 'us-gov-west-1', 'aws-us-gov', false, false],
    [`${A}.dkr.ecr-fips.us-gov-east-1.amazonaws.com`, 'us-gov-east-1', 'aws-us-gov', true, false],
    [`${A}.dkr-ecr.us-east-1.on.aws`, 'us-east-1', 'aws', false, true],
    [`${A}.dkr-ecr-fips.us-east-1.on.aws`, 'us-east-1', 'aws', true, true],
    [`${A}.dkr-ecr.us-gov-west-1.on.aws`, 'us-gov-west-1', 'aws-us-gov', false, true],
    [`${A}.dkr-ecr.cn-north-1.on.amazonwebservices.com.cn`, 'cn-north-1', 'aws-cn', false, true],
    [`${A}.dkr.ecr.us-iso-east-1.c2s.ic.gov`, 'us-iso-east-1', 'aws-iso', false, false],
    [`${A}.dkr.ecr.us-isob-east-1.sc2s.sgov.gov`, 'us-isob-east-1', 'aws-iso-b', false, false],
    [`${A}.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk`, 'eu-isoe-west-1', 'aws-iso-e', false, false],
    [`${A}.dkr.ecr.us-isof-south-1.csp.hci.ic.gov`, 'us-isof-south-1', 'aws-iso-f', false, false],
    [`${A}.dkr.ecr.eusc-de-east-1.amazonaws.eu`, 'eusc-de-east-1', 'aws-eusc', false, false],
    [`${A}.DKR.ECR.AP-SOUTHEAST-2.AMAZONAWS.COM:443`, 'ap-southeast-2', 'aws', false, false],
  ])('%s', (host, region, partition, fips, dualStack) => {
    expect(parseEcrHost(host)).toEqual({
      host: host.toLowerCase().replace(/:443$/, ''),
      account: A,
      region,
      fips,
      dualStack,
      partition,
    });
  });

  it.each([
    'docker.io',
    'ghcr.io',
    'public.ecr.aws', // ECR Public: no account, its own API (see notEcrHostReason)
    '12345678901.dkr.ecr.eu-west-1.amazonaws.com', // 11 digits
    `${A}.dkr.ecr.eu-west-1.amazonaws.com.evil.example`, // suffix must be the end
    `evil.example/${A}.dkr.ecr.eu-west-1.amazonaws.com`,
    `${A}.dkr.ecr.cn-north-1.amazonaws.com`, // China region outside .com.cn
    `${A}.dkr.ecr.eu-west-1.amazonaws.com.cn`,
    `${A}.dkr.ecr.eu-west-1.amazonaws.com:5000`,
    `${A}.dkr.ecr.us-iso-east-1.amazonaws.com`, // ISO region, commercial suffix
    `${A}.dkr.ecr.us-east-1.c2s.ic.gov`, // commercial region, ISO suffix
    `${A}.dkr.ecr.eusc-de-east-1.amazonaws.com`,
    `${A}.dkr-ecr.us-east-1.amazonaws.com`, // dual-stack registries live under on.aws
    `${A}.dkr.ecr.us-east-1.on.aws`, // and IPv4 ones never do
    `${A}.dkr-ecr.cn-north-1.on.aws`,
    `${A}.dkr.ecr.xx-east-1.amazonaws.com`, // region of no partition
    `${A}.dkr_ecr.us-east-1.amazonaws.com`,
  ])('rejects %s', (host) => {
    expect(parseEcrHost(host)).toBeUndefined();
  });

  it('round-trips with ecrRegistryHost in every partition, FIPS and dual-stack', () => {
    const regions = [
      'us-east-1',
      'eu-central-2',
      'ap-northeast-3',
      'cn-northwest-1',
      'us-gov-west-1',
      'us-iso-west-1',
      'us-isob-east-1',
      'eu-isoe-west-1',
      'us-isof-east-1',
      'eusc-de-east-1',
    ];
    fc.assert(
      fc.property(
        fc.stringMatching(/^\d{12}$/),
        fc.constantFrom(...regions),
        fc.boolean(),
        fc.boolean(),
        (account, region, fips, dualStack) => {
          const host = ecrRegistryHost(account, region, { fips, dualStack });
          expect(parseEcrHost(host)).toMatchObject({ account, region, fips, dualStack });
        },
      ),
    );
  });

  it('parses IPv4 and dual-stack hosts of every partition in the SDK data', () => {
    // Typed by partition id: a partition added to AWS_PARTITIONS needs an example here to compile.
    const example: Record<PartitionId, string> = {
      aws: 'eu-west-3',
      'aws-cn': 'cn-north-1',
      'aws-us-gov': 'us-gov-east-1',
      'aws-iso': 'us-iso-west-1',
      'aws-iso-b': 'us-isob-east-1',
      'aws-iso-e': 'eu-isoe-west-1',
      'aws-iso-f': 'us-isof-south-1',
      'aws-eusc': 'eusc-de-east-1',
    };
    for (const p of AWS_PARTITIONS) {
      const region = example[p.id];
      expect(parseEcrHost(`${A}.dkr.ecr.${region}.${p.dnsSuffix}`)?.partition).toBe(p.id);
      const dual = `${A}.dkr-ecr.${region}.${p.dualStackDnsSuffix.replace(/^api\./, 'on.')}`;
      expect(parseEcrHost(dual)).toMatchObject({ partition: p.id, dualStack: true });
    }
  });
});

describe('notEcrHostReason', () => {
  it('says ECR Public is not supported and what to do instead', () => {
    const r = notEcrHostReason('public.ecr.aws');
    expect(r.message).toMatch(/Amazon ECR Public, which registry\.ecr integrations do not support/);
    expect(r.hints.join(' ')).toMatch(/pull-through cache/);
  });

  it('names the suffix the region needs when only the suffix is wrong', () => {
    const r = notEcrHostReason(`${A}.dkr.ecr.us-iso-east-1.amazonaws.com`);
    expect(r.message).toMatch(/hosts of us-iso-east-1 end in \.c2s\.ic\.gov \(or \.on\.aws\.ic\.gov/);
    expect(r.hints[0]).toContain(`${A}.dkr.ecr.us-iso-east-1.c2s.ic.gov/app:1.0`);
  });

  it('names the known partitions for a region of none', () => {
    expect(notEcrHostReason(`${A}.dkr.ecr.xx-east-1.amazonaws.com`).message).toMatch(
      /region xx-east-1 is in no AWS partition.*aws-eusc/,
    );
  });
});

describe('isKnownRegion', () => {
  it('knows listed regions of every partition', () => {
    for (const r of [
      'us-east-1',
      'eu-west-1',
      'cn-north-1',
      'us-gov-west-1',
      'us-iso-east-1',
      'eusc-de-east-1',
    ])
      expect(isKnownRegion(r)).toBe(true);
  });
  it('does not know made-up regions', () => {
    for (const r of ['eu-nowhere-9', 'xx-east-1', 'us-east-99']) expect(isKnownRegion(r)).toBe(false);
  });
});
