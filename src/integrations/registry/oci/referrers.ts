import { NotFoundError } from '../../../domain/errors.js';
import type { CallOptions, RegistryClient } from './client.js';
import { parseDigest } from './reference.js';
import { MediaType, type Descriptor } from './schema.js';

export type ArtifactKind = 'signature' | 'attestation' | 'sbom' | 'artifact';

/** How a referrer was found: the OCI 1.1 API, the OCI tag schema, a cosign tag, or a buildx index entry. */
export type ReferrerSource = 'referrers-api' | 'tag-schema' | 'cosign-tag' | 'index-attestation';

export interface Referrer {
  kind: ArtifactKind;
  source: ReferrerSource;
  digest: string;
  mediaType: string;
  /** The subject this artifact refers to. */
  subject: string;
  artifactType?: string;
  size?: number;
  /** The tag it was found under (cosign tags). */
  tag?: string;
  annotations?: Record<string, string>;
}

export interface ReferrersOptions extends CallOptions {
  /**
   * How to find cosign tags (`sha256-<hex>.sig|.att|.sbom`): `head` probes the three tags (three small
   * calls, fine for repositories with many tags), `list` reads the tag list (given in `tags`, or fetched),
   * `off` skips them.
   */
  cosign?: 'head' | 'list' | 'off';
  /** The repository's tags when the caller already has them (saves the list call). */
  tags?: readonly string[];
}

const COSIGN_SUFFIXES: Record<string, ArtifactKind> = { sig: 'signature', att: 'attestation', sbom: 'sbom' };
const ARTIFACT_TAG = /^(sha256-[0-9a-f]{64}|sha512-[0-9a-f]{128})(?:\.(sig|att|sbom))?$/;

/**
 * True for tags that name artifacts, not images: the OCI referrers tag schema (`sha256-<hex>`) and cosign
 * tags (`sha256-<hex>.sig|.att|.sbom`). Enrichment must never record these as images.
 */
export function isArtifactTag(tag: string): boolean {
  return ARTIFACT_TAG.test(tag);
}

/** `sha256:<hex>` → `sha256-<hex>` (OCI distribution-spec, referrers tag schema). */
export function tagSchemaTag(digest: string): string {
  return digest.replace(':', '-');
}

/** Classifies an artifact by its artifactType (or config media type for older pushes). */
export function artifactKind(artifactType: string | undefined): ArtifactKind {
  const t = (artifactType ?? '').toLowerCase();
  if (
    t.includes('cosign.simplesigning') ||
    t.includes('notary.signature') ||
    t.includes('sigstore.bundle') ||
    t.includes('signature')
  ) {
    return 'signature';
  }
  if (t.includes('spdx') || t.includes('cyclonedx') || t.includes('syft') || t.includes('sbom'))
    return 'sbom';
  if (t.includes('in-toto') || t.includes('intoto') || t.includes('attestation') || t.includes('provenance'))
    return 'attestation';
  return 'artifact';
}

function fromDescriptor(d: Descriptor, subject: string, source: ReferrerSource): Referrer {
  const r: Referrer = {
    kind: artifactKind(d.artifactType),
    source,
    digest: d.digest,
    mediaType: d.mediaType,
    subject,
    size: d.size,
  };
  if (d.artifactType !== undefined) r.artifactType = d.artifactType;
  if (d.annotations && Object.keys(d.annotations).length > 0) r.annotations = d.annotations;
  return r;
}

/**
 * The artifacts that refer to `digest` in `repository`: through `GET /v2/<name>/referrers/<digest>`, or
 * when the registry has no such API through the tag schema (`sha256-<hex>` → index); plus cosign tags.
 * Deduplicated by digest.
 */
export async function findReferrers(
  client: RegistryClient,
  repository: string,
  digest: string,
  opts: ReferrersOptions = {},
): Promise<Referrer[]> {
  parseDigest(digest);
  const call: CallOptions = opts.signal ? { signal: opts.signal } : {};
  const out = new Map<string, Referrer>();
  const mode = opts.cosign ?? 'head';
  // In list mode the tag list is read anyway: read it alongside the referrers API, and let it say
  // whether a tag-schema index exists before asking for one.
  const [api, listed] = await Promise.all([
    client.getReferrersIndex(repository, digest, call),
    mode === 'list' && !opts.tags ? client.listTags(repository, call).then((t) => new Set(t)) : undefined,
  ]);
  if (api.supported) {
    for (const d of api.index.manifests) out.set(d.digest, fromDescriptor(d, digest, 'referrers-api'));
  } else if (!listed || listed.has(tagSchemaTag(digest))) {
    try {
      const fallback = await client.getManifest(repository, tagSchemaTag(digest), {
        ...call,
        accept: [MediaType.OciIndex],
      });
      if (fallback.manifest.mediaType === MediaType.OciIndex) {
        for (const d of fallback.manifest.manifests)
          out.set(d.digest, fromDescriptor(d, digest, 'tag-schema'));
      }
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }

  if (mode !== 'off') {
    const base = tagSchemaTag(digest);
    let candidates = Object.keys(COSIGN_SUFFIXES).map((s) => `${base}.${s}`);
    if (mode === 'list') {
      const tags = listed ?? new Set(opts.tags);
      candidates = candidates.filter((t) => tags.has(t));
    }
    const found = await Promise.all(
      candidates.map(async (tag) => {
        try {
          const head = await client.headManifest(repository, tag, call);
          // HEAD without Docker-Content-Digest (rare): fall back to a GET, which computes it.
          if (head.digest && head.mediaType)
            return { tag, digest: head.digest, mediaType: head.mediaType, size: head.size };
          const m = await client.getManifest(repository, tag, call);
          return { tag, digest: m.digest, mediaType: m.mediaType, size: m.size };
        } catch (err) {
          if (err instanceof NotFoundError) return undefined;
          throw err;
        }
      }),
    );
    for (const f of found) {
      if (!f || out.has(f.digest)) continue;
      const suffix = f.tag.slice(f.tag.lastIndexOf('.') + 1);
      const r: Referrer = {
        kind: COSIGN_SUFFIXES[suffix] ?? 'artifact',
        source: 'cosign-tag',
        digest: f.digest,
        mediaType: f.mediaType,
        subject: digest,
        tag: f.tag,
      };
      if (f.size !== undefined) r.size = f.size;
      out.set(f.digest, r);
    }
  }
  return [...out.values()];
}
