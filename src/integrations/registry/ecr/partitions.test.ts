import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AWS_PARTITIONS, EcrRegion, partitionOf } from './partitions.js';

interface ShippedPartition {
  id: string;
  regionRegex: string;
  regions: Record<string, unknown>;
  outputs: {
    dnsSuffix: string;
    dualStackDnsSuffix: string;
    supportsFIPS: boolean;
    supportsDualStack: boolean;
  };
}

/** The partition data the installed SDK resolves endpoints with (not a copy: the file in node_modules). */
async function shippedPartitions(): Promise<ShippedPartition[]> {
  const pkg = createRequire(import.meta.url).resolve('@aws-sdk/core/package.json');
  const file = join(dirname(pkg), 'dist-es/submodules/client/util-endpoints/lib/aws/partitions.js');
  const mod = (await import(pathToFileURL(file).href)) as {
    partitionsInfo: { partitions: ShippedPartition[] };
  };
  return mod.partitionsInfo.partitions;
}

describe('AWS_PARTITIONS', () => {
  it('is exactly the partition data shipped with the SDK (a new partition fails here until it is added)', async () => {
    const shipped = await shippedPartitions();
    expect(AWS_PARTITIONS.map((p) => p.id).sort()).toEqual(shipped.map((p) => p.id).sort());
    for (const s of shipped) {
      const mine = AWS_PARTITIONS.find((p) => p.id === s.id)!;
      expect(mine.regionRegex.source.replace(/\\-/g, '-')).toBe(s.regionRegex.replace(/\\-/g, '-'));
      expect(mine.dnsSuffix).toBe(s.outputs.dnsSuffix);
      expect(mine.dualStackDnsSuffix).toBe(s.outputs.dualStackDnsSuffix);
    }
  });

  it('puts every region the SDK lists in its own partition, and in no other', async () => {
    for (const s of await shippedPartitions()) {
      for (const region of Object.keys(s.regions)) {
        // aws-global, aws-cn-global, … are endpoint pseudo-regions, not regions registry hosts can name.
        if (region.endsWith('-global')) continue;
        expect(partitionOf(region)?.id, region).toBe(s.id);
        expect(
          AWS_PARTITIONS.filter((p) => p.regionRegex.test(region)),
          region,
        ).toHaveLength(1);
      }
    }
  });
});

describe('EcrRegion', () => {
  it.each([
    'us-east-1',
    'cn-northwest-1',
    'us-gov-east-1',
    'us-iso-east-1',
    'us-isob-east-1',
    'eu-isoe-west-1',
    'us-isof-south-1',
    'eusc-de-east-1',
  ])('accepts %s', (region) => expect(EcrRegion.safeParse(region).success).toBe(true));

  it('refuses a well-formed region of no partition, naming the partitions', () => {
    const r = EcrRegion.safeParse('xx-east-1');
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/in no AWS partition.*aws-eusc.*aws-iso-b/);
  });
});
