import type { BuildFacts, EnrichedImage } from '../../src/contract/images.js';
import type { EnrichmentRecord } from '../../src/store/image-store.js';
import { HOST } from './ecr-seed.js';

/** A digest made of one hex character or number, e.g. `digest(7)` = `sha256:000…007`. */
export function digest(n: number | string): string {
  return `sha256:${typeof n === 'string' ? n.repeat(64) : n.toString(16).padStart(64, '0')}`;
}

/** A single-platform ECR image with no layers, labels or referrers; `over` sets what a test cares about. */
export function enrichedImage(over: Partial<EnrichedImage> = {}): EnrichedImage {
  return {
    registry: HOST,
    repository: 'team/app',
    digest: digest('a'),
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    tags: ['1.0'],
    size: 1,
    platforms: [],
    layers: [],
    labels: {},
    annotations: {},
    referrers: [],
    registryType: 'registry.ecr',
    ...over,
  };
}

/**
 * The least an enrichment records: a single-platform ECR image with no layers, labels or referrers, and its
 * build. `image` and the rest of the record (git, issues) override what a test cares about.
 */
export function enrichmentRecord(
  build: Pick<BuildFacts, 'reportId' | 'runtime'> & Partial<BuildFacts>,
  image: Partial<EnrichedImage> = {},
  rest: Omit<EnrichmentRecord, 'image' | 'build'> = {},
): EnrichmentRecord {
  return {
    image: enrichedImage(image),
    build: { reportedAt: new Date().toISOString(), ...build },
    ...rest,
  };
}
