import { LruCache } from './cache.js';
import type { CallOptions, ManifestResult, RegistryClient } from './client.js';
import { formatReference, manifestReference, type ImageReference } from './reference.js';
import { findReferrers, type Referrer, type ReferrersOptions } from './referrers.js';
import { MediaType, parseImageConfig, type Descriptor, type ImageConfig, type Manifest } from './schema.js';

export interface LayerFacts {
  digest: string;
  size: number;
  mediaType: string;
}

export interface ConfigFacts {
  digest: string;
  created?: string;
  labels: Record<string, string>;
  os?: string;
  architecture?: string;
  variant?: string;
  historyCount: number;
}

export interface PlatformFacts {
  os: string;
  architecture: string;
  variant?: string;
  osVersion?: string;
  digest: string;
  mediaType: string;
  /** This platform's manifest + config + layers. */
  size: number;
  layers: LayerFacts[];
  config?: ConfigFacts;
}

/** Registry facts of one image, as read; nothing is stored. */
export interface ImageFacts {
  reference: string;
  registry: string;
  repository: string;
  tag?: string;
  digest: string;
  mediaType: string;
  /** Manifest + config + layers; for an index: the index manifest plus the sum over its platforms. */
  size: number;
  artifactType?: string;
  /** Digest this manifest refers to, when it is itself an artifact. */
  subject?: string;
  platforms: PlatformFacts[];
  /** Of a single-platform image; per platform (opt-in) for an index. */
  config?: ConfigFacts;
  /** Of a single-platform image; per platform for an index. */
  layers: LayerFacts[];
  annotations: Record<string, string>;
  referrers: Referrer[];
}

export type CachedContent =
  { kind: 'manifest'; value: ManifestResult } | { kind: 'config'; value: ImageConfig };
/** Manifests and configs by digest; create one and pass it to every `inspectImage` call. */
export type ContentCache = LruCache<CachedContent>;

export function createContentCache(limits: { maxEntries?: number; maxBytes?: number } = {}): ContentCache {
  return new LruCache<CachedContent>(limits);
}

export interface InspectOptions extends CallOptions {
  cache?: ContentCache;
  /** Fetch the config blob of every platform of an index (one call each). Default false. */
  platformConfigs?: boolean;
  /** Look up referrers (signatures, SBOMs, attestations). Default true. */
  referrers?: boolean | Omit<ReferrersOptions, 'signal'>;
  /** Parallel child fetches for an index. Default 4. */
  concurrency?: number;
}

const IMAGE_CONFIG_TYPES = new Set<string>([MediaType.OciConfig, MediaType.DockerConfig]);

/**
 * Cache keys carry the client id and the repository as well as the digest: content is immutable, but
 * whether these credentials may read it from this repository is not, and a shared cache must not answer
 * for a registry or repository the caller could not read itself.
 */
function key(client: RegistryClient, repository: string, digest: string): string {
  return `${client.id}\n${repository}\n${digest}`;
}

async function manifestByDigest(
  client: RegistryClient,
  repository: string,
  digest: string,
  opts: InspectOptions,
): Promise<ManifestResult> {
  const k = key(client, repository, digest);
  const hit = opts.cache?.get(k);
  if (hit?.kind === 'manifest') return hit.value;
  const m = await client.getManifest(repository, digest, opts.signal ? { signal: opts.signal } : {});
  opts.cache?.set(k, { kind: 'manifest', value: m }, m.size * 3);
  return m;
}

async function config(
  client: RegistryClient,
  repository: string,
  d: Descriptor,
  opts: InspectOptions,
): Promise<ConfigFacts> {
  const k = key(client, repository, d.digest);
  const hit = opts.cache?.get(k);
  let c: ImageConfig;
  if (hit?.kind === 'config') {
    c = hit.value;
  } else {
    c = parseImageConfig(
      await client.getBlob(repository, d.digest, opts.signal ? { signal: opts.signal } : {}),
    );
    opts.cache?.set(k, { kind: 'config', value: c }, d.size);
  }
  const facts: ConfigFacts = {
    digest: d.digest,
    labels: c.config?.Labels ?? {},
    historyCount: c.history?.length ?? 0,
  };
  if (c.created !== undefined) facts.created = c.created;
  if (c.os !== undefined) facts.os = c.os;
  if (c.architecture !== undefined) facts.architecture = c.architecture;
  if (c.variant !== undefined) facts.variant = c.variant;
  return facts;
}

function layersOf(m: Manifest): LayerFacts[] {
  const list = 'layers' in m ? m.layers : 'blobs' in m ? m.blobs : [];
  return list.map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType }));
}

function sizeOf(m: ManifestResult): number {
  const man = m.manifest;
  const configSize = 'config' in man ? man.config.size : 0;
  return m.size + configSize + layersOf(man).reduce((n, l) => n + l.size, 0);
}

/** buildx stores provenance/SBOM attestations as `unknown/unknown` entries of the image index. */
function isBuildxAttestation(d: Descriptor): boolean {
  return (
    d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' ||
    (d.platform?.os === 'unknown' && d.platform.architecture === 'unknown')
  );
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/**
 * Reads everything the registry knows about one image: the manifest (by digest when the reference has
 * one, else by tag), every platform of an index, the config, layers, annotations and referrers.
 * Throws the client's typed errors (NotFoundError for an unknown tag, …).
 */
export async function inspectImage(
  client: RegistryClient,
  ref: Pick<ImageReference, 'registry' | 'repository' | 'tag' | 'digest'>,
  opts: InspectOptions = {},
): Promise<ImageFacts> {
  const { repository } = ref;
  const call = opts.signal ? { signal: opts.signal } : {};
  const top = ref.digest
    ? await manifestByDigest(client, repository, ref.digest, opts)
    : await client.getManifest(repository, manifestReference(ref), call);
  if (!ref.digest)
    opts.cache?.set(key(client, repository, top.digest), { kind: 'manifest', value: top }, top.size * 3);
  const m = top.manifest;

  const facts: ImageFacts = {
    reference: formatReference(ref),
    registry: ref.registry,
    repository,
    digest: top.digest,
    mediaType: top.mediaType,
    size: 0,
    platforms: [],
    layers: [],
    annotations: ('annotations' in m ? m.annotations : undefined) ?? {},
    referrers: [],
  };
  if (ref.tag !== undefined) facts.tag = ref.tag;
  if ('artifactType' in m && m.artifactType !== undefined) facts.artifactType = m.artifactType;
  if ('subject' in m && m.subject !== undefined) facts.subject = m.subject.digest;

  // Referrers need only the top digest: look them up while the platforms and the config are read.
  const referrers =
    opts.referrers === false
      ? Promise.resolve([])
      : findReferrers(client, repository, top.digest, {
          ...(typeof opts.referrers === 'object' ? opts.referrers : {}),
          ...call,
        });
  // Observed now, awaited last: a failure of the reads in between must not leave it unhandled.
  referrers.catch(() => undefined);

  if ('manifests' in m) {
    const index = await indexPlatforms(client, repository, top.digest, m.manifests, opts);
    facts.platforms = index.platforms;
    facts.size = top.size + facts.platforms.reduce((n, p) => n + p.size, 0);
    facts.referrers.push(...index.attestations);
  } else {
    facts.layers = layersOf(m);
    facts.size = sizeOf(top);
    if ('config' in m && IMAGE_CONFIG_TYPES.has(m.config.mediaType)) {
      facts.config = await config(client, repository, m.config, opts);
      facts.platforms = [singlePlatform(facts.config, top, facts.size, facts.layers)];
    }
  }

  const found = await referrers;
  const seen = new Set(facts.referrers.map((r) => r.digest));
  facts.referrers.push(...found.filter((r) => !seen.has(r.digest)));
  return facts;
}

/**
 * The platforms of an index, each child manifest read (at most `concurrency` at a time); buildx
 * attestation manifests are not platforms but referrers of the image.
 */
async function indexPlatforms(
  client: RegistryClient,
  repository: string,
  topDigest: string,
  manifests: Descriptor[],
  opts: InspectOptions,
): Promise<{ platforms: PlatformFacts[]; attestations: Referrer[] }> {
  const attestations: Referrer[] = [];
  const children = manifests.filter((d) => {
    if (!isBuildxAttestation(d)) return true;
    attestations.push({
      kind: 'attestation',
      source: 'index-attestation',
      digest: d.digest,
      mediaType: d.mediaType,
      subject: d.annotations?.['vnd.docker.reference.digest'] ?? topDigest,
      size: d.size,
    });
    return false;
  });
  const platforms = await mapLimited(children, opts.concurrency ?? 4, async (d) => {
    const child = await manifestByDigest(client, repository, d.digest, opts);
    const p: PlatformFacts = {
      os: d.platform?.os ?? 'unknown',
      architecture: d.platform?.architecture ?? 'unknown',
      digest: d.digest,
      mediaType: child.mediaType,
      size: sizeOf(child),
      layers: layersOf(child.manifest),
    };
    if (d.platform?.variant !== undefined) p.variant = d.platform.variant;
    if (d.platform?.['os.version'] !== undefined) p.osVersion = d.platform['os.version'];
    const cm = child.manifest;
    if (opts.platformConfigs && 'config' in cm && IMAGE_CONFIG_TYPES.has(cm.config.mediaType)) {
      p.config = await config(client, repository, cm.config, opts);
    }
    return p;
  });
  return { platforms, attestations };
}

/** A single-platform image's one platform, as its config names it. */
function singlePlatform(
  cfg: ConfigFacts,
  top: ManifestResult,
  size: number,
  layers: LayerFacts[],
): PlatformFacts {
  const p: PlatformFacts = {
    os: cfg.os ?? 'unknown',
    architecture: cfg.architecture ?? 'unknown',
    digest: top.digest,
    mediaType: top.mediaType,
    size,
    layers,
  };
  if (cfg.variant !== undefined) p.variant = cfg.variant;
  return p;
}
