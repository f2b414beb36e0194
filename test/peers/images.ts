import { createHash, randomBytes } from 'node:crypto';

// Pushes test images into a running distribution registry over the Registry HTTP API v2 (monolithic blob
// upload: POST then PUT ?digest=; manifest PUT), and returns the exact manifest bytes, digest and media
// type so the same bytes can also be put into moto with PutImage (test-peers.md §2).

export interface PushTarget {
  url: string;
  username?: string;
  password?: string;
  /** Sent as is instead of Basic (a Bearer token for a token-auth registry). */
  authorization?: string;
}

export interface PushedManifest {
  repository: string;
  /** The tag pushed, or the digest when pushed untagged. */
  reference: string;
  bytes: Uint8Array;
  digest: string;
  mediaType: string;
  size: number;
}

export interface BlobRef {
  digest: string;
  size: number;
  mediaType: string;
}

export interface PushedImage extends PushedManifest {
  config: BlobRef & { bytes: Uint8Array };
  layers: BlobRef[];
  platform: { os: string; architecture: string; variant?: string };
  labels: Record<string, string>;
  created: string;
  historyCount: number;
}

export interface PushedIndex extends PushedManifest {
  children: PushedImage[];
  /** buildx-style `unknown/unknown` attestation manifest, when asked for. */
  attestation?: PushedManifest;
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';

export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function headers(t: PushTarget, extra: Record<string, string> = {}): Record<string, string> {
  const h = { ...extra };
  if (t.authorization !== undefined) h['authorization'] = t.authorization;
  else if (t.username !== undefined) {
    h['authorization'] = `Basic ${Buffer.from(`${t.username}:${t.password ?? ''}`).toString('base64')}`;
  }
  return h;
}

export async function pushBlob(
  t: PushTarget,
  repository: string,
  bytes: Uint8Array,
): Promise<{ digest: string; size: number }> {
  const digest = sha256(bytes);
  const start = await fetch(`${t.url}/v2/${repository}/blobs/uploads/`, {
    method: 'POST',
    headers: headers(t),
  });
  if (start.status !== 202) throw new Error(`blob upload start: ${start.status} ${await start.text()}`);
  await start.body?.cancel();
  const location = new URL(start.headers.get('location') ?? '', t.url);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, {
    method: 'PUT',
    headers: headers(t, { 'content-type': 'application/octet-stream' }),
    body: new Uint8Array(bytes),
  });
  if (put.status !== 201) throw new Error(`blob upload: ${put.status} ${await put.text()}`);
  await put.body?.cancel();
  return { digest, size: bytes.length };
}

/** PUTs manifest bytes as is; checks the registry's Docker-Content-Digest is the sha256 of those bytes. */
export async function putManifest(
  t: PushTarget,
  repository: string,
  reference: string | undefined,
  bytes: Uint8Array,
  mediaType: string,
): Promise<PushedManifest> {
  const digest = sha256(bytes);
  const ref = reference ?? digest;
  const res = await fetch(`${t.url}/v2/${repository}/manifests/${ref}`, {
    method: 'PUT',
    headers: headers(t, { 'content-type': mediaType }),
    body: new Uint8Array(bytes),
  });
  if (res.status !== 201)
    throw new Error(`manifest PUT ${repository}:${ref}: ${res.status} ${await res.text()}`);
  await res.body?.cancel();
  const announced = res.headers.get('docker-content-digest');
  if (announced !== digest) throw new Error(`registry announced ${announced}, bytes hash to ${digest}`);
  return { repository, reference: ref, bytes, digest, mediaType, size: bytes.length };
}

function json(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

export interface ImageOptions {
  format?: 'oci' | 'docker';
  platform?: { os: string; architecture: string; variant?: string };
  labels?: Record<string, string>;
  layers?: number;
  annotations?: Record<string, string>;
}

/** A single-platform image with random small layers and a config carrying labels and history. */
export async function pushImage(
  t: PushTarget,
  repository: string,
  tag: string | undefined,
  opts: ImageOptions = {},
): Promise<PushedImage> {
  const docker = opts.format === 'docker';
  const platform = opts.platform ?? { os: 'linux', architecture: 'amd64' };
  const labels = opts.labels ?? {
    'org.opencontainers.image.source': 'https://example.test/repo',
    nonce: randomBytes(4).toString('hex'),
  };
  const created = new Date(Date.UTC(2024, 0, 2, 3, 4, 5)).toISOString();
  const layerBlobs = await Promise.all(
    Array.from({ length: opts.layers ?? 2 }, async () => {
      const b = randomBytes(64 + Math.floor(Math.random() * 512));
      const { digest, size } = await pushBlob(t, repository, b);
      return { digest, size, mediaType: docker ? DOCKER_LAYER : OCI_LAYER };
    }),
  );
  const history = layerBlobs.map((_, i) => ({ created, created_by: `RUN step ${i}` }));
  history.push({ created, created_by: 'LABEL x', empty_layer: true } as (typeof history)[number]);
  const configBytes = json({
    created,
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: { Labels: labels, Env: ['PATH=/usr/bin'] },
    rootfs: { type: 'layers', diff_ids: layerBlobs.map((l) => l.digest) },
    history,
  });
  const cfg = await pushBlob(t, repository, configBytes);
  const config = { ...cfg, mediaType: docker ? DOCKER_CONFIG : OCI_CONFIG, bytes: configBytes };
  const mediaType = docker ? DOCKER_MANIFEST : OCI_MANIFEST;
  const manifest = {
    schemaVersion: 2,
    mediaType,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: layerBlobs,
    ...(opts.annotations && !docker ? { annotations: opts.annotations } : {}),
  };
  const pushed = await putManifest(t, repository, tag, json(manifest), mediaType);
  return { ...pushed, config, layers: layerBlobs, platform, labels, created, historyCount: history.length };
}

export const DEFAULT_PLATFORMS = [
  { os: 'linux', architecture: 'amd64' },
  { os: 'linux', architecture: 'arm64', variant: 'v8' },
];

/** An OCI index (or Docker manifest list) of per-platform images, each with its own manifest and config. */
export async function pushIndex(
  t: PushTarget,
  repository: string,
  tag: string | undefined,
  opts: {
    format?: 'oci' | 'docker';
    platforms?: { os: string; architecture: string; variant?: string }[];
    /** Add a buildx-style `unknown/unknown` attestation manifest (OCI only). */
    attestation?: boolean;
    annotations?: Record<string, string>;
  } = {},
): Promise<PushedIndex> {
  const docker = opts.format === 'docker';
  const children: PushedImage[] = [];
  for (const platform of opts.platforms ?? DEFAULT_PLATFORMS) {
    children.push(
      await pushImage(t, repository, undefined, { format: opts.format ?? 'oci', platform, layers: 1 }),
    );
  }
  const manifests: unknown[] = children.map((c) => ({
    mediaType: c.mediaType,
    digest: c.digest,
    size: c.size,
    platform: c.platform,
  }));
  let attestation: PushedManifest | undefined;
  if (opts.attestation && !docker && children[0]) {
    const statement = await pushBlob(
      t,
      repository,
      json({ _type: 'https://in-toto.io/Statement/v0.1', predicateType: 'https://slsa.dev/provenance/v0.2' }),
    );
    const emptyCfg = await pushBlob(t, repository, json({}));
    attestation = await putManifest(
      t,
      repository,
      undefined,
      json({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: OCI_CONFIG, ...emptyCfg },
        layers: [
          {
            mediaType: 'application/vnd.in-toto+json',
            ...statement,
            annotations: { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2' },
          },
        ],
      }),
      OCI_MANIFEST,
    );
    manifests.push({
      mediaType: OCI_MANIFEST,
      digest: attestation.digest,
      size: attestation.size,
      platform: { os: 'unknown', architecture: 'unknown' },
      annotations: {
        'vnd.docker.reference.digest': children[0].digest,
        'vnd.docker.reference.type': 'attestation-manifest',
      },
    });
  }
  const mediaType = docker ? DOCKER_LIST : OCI_INDEX;
  const index = {
    schemaVersion: 2,
    mediaType,
    manifests,
    ...(opts.annotations && !docker ? { annotations: opts.annotations } : {}),
  };
  const pushed = await putManifest(t, repository, tag, json(index), mediaType);
  const out: PushedIndex = { ...pushed, children };
  if (attestation) out.attestation = attestation;
  return out;
}

export interface PushedArtifact extends PushedManifest {
  artifactType: string;
  subject: string;
}

/**
 * An OCI 1.1 artifact (image manifest with `artifactType`, empty config and `subject`), pushed untagged.
 * With `tagSchema`, also the referrers tag-schema fallback: an index under `sha256-<hex>` listing it
 * (registries without the referrers API, like distribution 2.8).
 */
export async function pushArtifact(
  t: PushTarget,
  repository: string,
  subject: { digest: string; size: number; mediaType: string },
  opts: { artifactType?: string; tagSchema?: boolean; annotations?: Record<string, string> } = {},
): Promise<PushedArtifact & { tagSchemaIndex?: PushedManifest }> {
  const artifactType = opts.artifactType ?? 'application/spdx+json';
  const empty = await pushBlob(t, repository, new TextEncoder().encode('{}'));
  const payload = await pushBlob(
    t,
    repository,
    json({ spdxVersion: 'SPDX-2.3', nonce: randomBytes(4).toString('hex') }),
  );
  const annotations = opts.annotations ?? { 'org.opencontainers.image.created': '2024-01-02T03:04:05Z' };
  const bytes = json({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType,
    config: { mediaType: OCI_EMPTY, ...empty },
    layers: [{ mediaType: artifactType, ...payload }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations,
  });
  const pushed = await putManifest(t, repository, undefined, bytes, OCI_MANIFEST);
  const out: PushedArtifact & { tagSchemaIndex?: PushedManifest } = {
    ...pushed,
    artifactType,
    subject: subject.digest,
  };
  if (opts.tagSchema ?? true) {
    out.tagSchemaIndex = await putManifest(
      t,
      repository,
      subject.digest.replace(':', '-'),
      json({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [
          { mediaType: OCI_MANIFEST, digest: pushed.digest, size: pushed.size, artifactType, annotations },
        ],
      }),
      OCI_INDEX,
    );
  }
  return out;
}

/** A cosign-style signature under the tag `sha256-<hex>.sig` (or `.att` / `.sbom`). */
export async function pushCosignTag(
  t: PushTarget,
  repository: string,
  subjectDigest: string,
  suffix: 'sig' | 'att' | 'sbom' = 'sig',
): Promise<PushedManifest> {
  const cfg = await pushBlob(
    t,
    repository,
    json({ architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: [] } }),
  );
  const payload = await pushBlob(
    t,
    repository,
    json({
      critical: {
        identity: { 'docker-reference': repository },
        image: { 'docker-manifest-digest': subjectDigest },
        type: 'cosign container image signature',
      },
    }),
  );
  const layerType =
    suffix === 'sig'
      ? 'application/vnd.dev.cosign.simplesigning.v1+json'
      : 'application/vnd.dsse.envelope.v1+json';
  const bytes = json({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, ...cfg },
    layers: [
      { mediaType: layerType, ...payload, annotations: { 'dev.cosignproject.cosign/signature': 'MEUCIQ…' } },
    ],
  });
  return putManifest(t, repository, `${subjectDigest.replace(':', '-')}.${suffix}`, bytes, OCI_MANIFEST);
}
