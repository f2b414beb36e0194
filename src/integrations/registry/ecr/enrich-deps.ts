import type { Telemetry } from '../../../domain/telemetry.js';
import type { Redactor } from '../../../logging/redactor.js';
import type { ImageConfig } from '../oci/schema.js';
import type { LruCache } from '../oci/cache.js';
import type { RegistryClient } from '../oci/client.js';
import type { EcrClientCache } from './clients.js';
import type { EcrImageLookup, EcrManifest } from './images.js';

/** What enriching an ECR image needs and keeps between reports (one set per runtime executor). */
export interface EcrEnrichDeps {
  clients: EcrClientCache;
  lookup: EcrImageLookup;
  redactor: Redactor;
  /** Image configs by digest: content-addressed, never stale. */
  configs: LruCache<ImageConfig>;
  /** Manifests by registry/repository@digest (content-addressed; keyed by repository since access is). */
  manifests?: LruCache<EcrManifest>;
  /** Registry clients per (credentials, endpoint), so their tokens and connections are reused. */
  registries: Map<string, RegistryClient>;
  /** Repository tag lists, briefly, to find referrer tags without a call per report. */
  tagLists: Map<string, { at: number; tags: Promise<string[]> }>;
  requestTimeoutMs?: number;
  now?: () => number;
  /** Registry calls are counted here (through the client's transport). */
  telemetry?: Telemetry;
}
