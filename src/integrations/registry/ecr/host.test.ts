import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ecrRegistryHost, isKnownRegion, parseEcrHost } from './host.js';

describe('parseEcrHost', () => {
  it.each([
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com', '123456789012', 'eu-west-1', false, 'aws'],
    ['123456789012.dkr.ecr-fips.us-east-1.amazonaws.com', '123456789012', 'us-east-1', true, 'aws'],
    ['123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn', '123456789012', 'cn-north-1', false, 'aws-cn'],
    [
      '123456789012.dkr.ecr.us-gov-west-1.amazonaws.com',
      '123456789012',
      'us-gov-west-1',
      false,
      'aws-us-gov',
    ],
    [
      '123456789012.dkr.ecr-fips.us-gov-east-1.amazonaws.com',
      '123456789012',
      'us-gov-east-1',
      true,
      'aws-us-gov',
    ],
    ['123456789012.DKR.ECR.AP-SOUTHEAST-2.AMAZONAWS.COM:443', '123456789012', 'ap-southeast-2', false, 'aws'],
  ])('%s', (host, account, region, fips, part) => {
    expect(parseEcrHost(host)).toMatchObject({ account, region, fips, partition: part });
  });

  it.each([
    'docker.io',
    'ghcr.io',
    '12345678901.dkr.ecr.eu-west-1.amazonaws.com', // 11 digits
    '123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example', // suffix must be the end
    'evil.example/123456789012.dkr.ecr.eu-west-1.amazonaws.com',
    '123456789012.dkr.ecr.cn-north-1.amazonaws.com', // China region outside .com.cn
    '123456789012.dkr.ecr.eu-west-1.amazonaws.com.cn',
    '123456789012.dkr.ecr.eu-west-1.amazonaws.com:5000',
    'public.ecr.aws',
  ])('rejects %s', (host) => {
    expect(parseEcrHost(host)).toBeUndefined();
  });

  it('round-trips with ecrRegistryHost for every account and listed region', () => {
    const regions = ['us-east-1', 'eu-central-2', 'ap-northeast-3', 'cn-northwest-1', 'us-gov-west-1'];
    fc.assert(
      fc.property(
        fc.stringMatching(/^\d{12}$/),
        fc.constantFrom(...regions),
        fc.boolean(),
        (account, region, fips) => {
          const parsed = parseEcrHost(ecrRegistryHost(account, region, { fips }));
          expect(parsed).toMatchObject({ account, region, fips });
        },
      ),
    );
  });
});

describe('isKnownRegion', () => {
  it('knows listed regions of every partition', () => {
    for (const r of ['us-east-1', 'eu-west-1', 'cn-north-1', 'us-gov-west-1'])
      expect(isKnownRegion(r)).toBe(true);
  });
  it('does not know made-up regions', () => {
    for (const r of ['eu-nowhere-9', 'xx-east-1', 'us-east-99']) expect(isKnownRegion(r)).toBe(false);
  });
});
