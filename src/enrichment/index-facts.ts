import type { Descriptor, ImageConfig, Manifest } from '../integrations/registry/oci/schema.js';
import { isImageManifest, isIndex } from '../integrations/registry/oci/schema.js';
import type { ConfigSummary, EnrichedImage, Platform, PlatformConfig, Referrer } from '../contract/images.js';

/** Nested indexes are followed this deep (an index of indexes of images is 2); deeper ones are marked. */
export const MAX_INDEX_DEPTH = 4;
/** Config blobs read per index (one registry call each): the labels source first, then in index order. */
export const MAX_PLATFORM_CONFIGS = 32;

export interface IndexReaders {
  manifest(digest: string): Promise<Manifest>;
  config(digest: string): Promise<ImageConfig>;
}

export interface IndexFacts {
  platforms: Platform[];
  attestations: Referrer[];
  /** Sum of the platforms' manifest + config + layers. */
  size: number;
  createdAt?: string;
  labels: Record<string, string>;
  config?: ConfigSummary;
  /** Human notes: nested indexes beyond the depth limit, configs not read. */
  notes: string[];
}

/** Env entries whose name looks like a secret keep the name only: an image's Env can carry credentials. */
const SECRET_NAME = /pass|secret|token|key|credential|auth|private|cert|session|cookie|signature|salt/i;
export function safeEnv(env: readonly string[] | null | undefined): string[] | undefined {
  if (!env) return undefined;
  return env.map((e) => {
    const eq = e.indexOf('=');
    const name = eq < 0 ? e : e.slice(0, eq);
    return eq >= 0 && SECRET_NAME.test(name) ? `${name}=[redacted]` : e;
  });
}

export function platformConfig(c: ImageConfig): PlatformConfig {
  const env = safeEnv(c.config?.Env);
  return {
    ...(c.created ? { created: c.created } : {}),
    ...(c.config?.Labels ? { labels: c.config.Labels } : {}),
    ...(env ? { env } : {}),
  };
}

/** buildx puts provenance/SBOM attestations in the index as `unknown/unknown` manifests with this annotation. */
export function isAttestationEntry(d: Descriptor): boolean {
  return (
    d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' ||
    (d.platform?.os === 'unknown' && d.platform.architecture === 'unknown')
  );
}

export function platformName(p: Pick<Platform, 'os' | 'architecture' | 'variant'>): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

interface Entry {
  d: Descriptor;
  m: Manifest;
}

/** Every image entry of an index, nested indexes followed to MAX_INDEX_DEPTH; attestations set apart. */
async function walk(index: Manifest, r: IndexReaders, depth: number, out: IndexWalk): Promise<void> {
  if (!isIndex(index)) return;
  const seen = new Set<string>();
  const entries = index.manifests.filter((d) => !seen.has(d.digest) && seen.add(d.digest));
  const children = await Promise.all(
    entries.map(async (d): Promise<Entry | null> => {
      if (isAttestationEntry(d)) {
        out.attestations.push({
          digest: d.digest,
          kind: 'attestation',
          mediaType: d.mediaType,
          artifactType: d.annotations?.['vnd.docker.reference.type'] ?? 'attestation-manifest',
        });
        return null;
      }
      return { d, m: await r.manifest(d.digest) };
    }),
  );
  for (const c of children) {
    if (!c) continue;
    if (isIndex(c.m)) {
      if (depth + 1 >= MAX_INDEX_DEPTH)
        out.notes.push(`nested index ${c.d.digest} not followed (deeper than ${MAX_INDEX_DEPTH})`);
      else await walk(c.m, r, depth + 1, out);
    } else out.images.push(c);
  }
}

interface IndexWalk {
  images: Entry[];
  attestations: Referrer[];
  notes: string[];
}

/**
 * Registry facts of an image index from its platform images. An index has no config of its own, so its
 * created time, labels and Env are those of one platform image, named in `config.labelsFrom`: linux/amd64
 * when present (what most people run), else the first platform. An entry without a platform in the index
 * takes it from its config (buildx may omit it); only a config that says nothing leaves `unknown`.
 */
export async function indexFacts(index: Manifest, r: IndexReaders): Promise<IndexFacts> {
  const w: IndexWalk = { images: [], attestations: [], notes: [] };
  await walk(index, r, 0, w);
  const configs = new Map<string, ImageConfig>();
  const readConfigs = (list: Entry[]) =>
    Promise.all(
      list.map(async (e) => {
        if (isImageManifest(e.m) && !configs.has(e.d.digest))
          configs.set(e.d.digest, await r.config(e.m.config.digest));
      }),
    );
  // An entry without a platform in the index: its config says which it is.
  await readConfigs(w.images.filter((e) => !e.d.platform));
  const isAmd64 = (e: Entry) => {
    const os = e.d.platform?.os ?? configs.get(e.d.digest)?.os;
    const arch = e.d.platform?.architecture ?? configs.get(e.d.digest)?.architecture;
    return os === 'linux' && arch === 'amd64';
  };
  const source = w.images.find(isAmd64) ?? w.images[0];
  const ordered = source ? [source, ...w.images.filter((e) => e !== source)] : [];
  await readConfigs(ordered.slice(0, MAX_PLATFORM_CONFIGS));
  if (ordered.length > MAX_PLATFORM_CONFIGS)
    w.notes.push(`config read for ${MAX_PLATFORM_CONFIGS} of ${ordered.length} platforms`);

  const facts: IndexFacts = {
    platforms: [],
    attestations: w.attestations,
    size: 0,
    labels: {},
    notes: w.notes,
  };
  for (const { d, m } of w.images) {
    const c = configs.get(d.digest);
    const layers = isImageManifest(m) ? m.layers : [];
    const size = d.size + (isImageManifest(m) ? m.config.size : 0) + layers.reduce((n, l) => n + l.size, 0);
    const variant = d.platform?.variant ?? (d.platform ? undefined : c?.variant);
    const p: Platform = {
      os: d.platform?.os ?? c?.os ?? 'unknown',
      architecture: d.platform?.architecture ?? c?.architecture ?? 'unknown',
      ...(variant ? { variant } : {}),
      digest: d.digest,
      size,
      mediaType: d.mediaType,
      ...(c ? { config: platformConfig(c) } : {}),
    };
    facts.platforms.push(p);
    facts.size += size;
  }
  const chosen = source ? facts.platforms.find((p) => p.digest === source.d.digest) : undefined;
  const sc = source ? configs.get(source.d.digest) : undefined;
  if (chosen && sc) {
    if (sc.created) facts.createdAt = sc.created;
    facts.labels = sc.config?.Labels ?? {};
    const env = safeEnv(sc.config?.Env);
    facts.config = {
      ...(sc.os ? { os: sc.os } : {}),
      ...(sc.architecture ? { architecture: sc.architecture } : {}),
      historyCount: sc.history?.length ?? 0,
      ...(env ? { env } : {}),
      labelsFrom: { digest: chosen.digest, platform: platformName(chosen) },
    };
  }
  return facts;
}

/** Applies index facts to the image record being built. */
export function applyIndexFacts(image: EnrichedImage, f: IndexFacts): void {
  image.platforms.push(...f.platforms);
  image.referrers.push(...f.attestations);
  image.size += f.size;
  image.labels = f.labels;
  if (f.createdAt) image.createdAt = f.createdAt;
  if (f.config) image.config = f.config;
}
