// zod/mini, not the full zod: these schemas sit on the start-up path of `imagetrail inspect`, and the
// full build cannot be tree-shaken (≈ 750 KB of code to load against ≈ 30 KB; docs/benchmarks.md).
import * as z from 'zod/mini';
import { ManifestFormatError } from './errors.js';
import { describeIssues } from '../../../domain/issue-path.js';

// Schemas for what registries return. Permissive on purpose: only the fields imagetrail reads are declared,
// unknown fields pass through untouched (z.object strips them, it does not reject them), and optional
// metadata that is malformed (a label that is not a string) is dropped rather than failing the image.

export const MediaType = {
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  /** The OCI 1.1-rc artifact manifest; withdrawn from the final spec but still stored by some registries. */
  OciArtifactManifest: 'application/vnd.oci.artifact.manifest.v1+json',
  DockerManifestV1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
  OciEmpty: 'application/vnd.oci.empty.v1+json',
} as const;

/** Every manifest media type imagetrail can read; sent as the Accept header. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  MediaType.OciIndex,
  MediaType.OciManifest,
  MediaType.DockerManifestList,
  MediaType.DockerManifest,
  MediaType.OciArtifactManifest,
];

/** Keeps string values only: annotations are map<string,string> by spec, anything else is noise. */
const StringMap = z.pipe(
  z.record(z.string(), z.unknown()),
  z.transform((m) =>
    Object.fromEntries(Object.entries(m).filter((e): e is [string, string] => typeof e[1] === 'string')),
  ),
);

export const Digest = z
  .string()
  .check(z.regex(/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/, 'not a digest'));

export const Platform = z.object({
  architecture: z.string(),
  os: z.string(),
  variant: z.optional(z.string()),
  'os.version': z.optional(z.string()),
});
export type Platform = z.infer<typeof Platform>;

export const Descriptor = z.object({
  mediaType: z.string(),
  digest: Digest,
  size: z.int().check(z.nonnegative()),
  annotations: z.optional(StringMap),
  platform: z.optional(Platform),
  artifactType: z.optional(z.string()),
});
export type Descriptor = z.infer<typeof Descriptor>;

const ManifestBase = {
  schemaVersion: z.literal(2),
  annotations: z.optional(StringMap),
  subject: z.optional(Descriptor),
  artifactType: z.optional(z.string()),
};

export const OciImageManifest = z.object({
  ...ManifestBase,
  mediaType: z.literal(MediaType.OciManifest),
  config: Descriptor,
  layers: z.array(Descriptor),
});
export type OciImageManifest = z.infer<typeof OciImageManifest>;

// Docker schema 2 has no annotations/subject/artifactType; declaring them optional anyway lets callers
// read every manifest kind uniformly (they are simply absent on Docker manifests).
export const DockerManifest = z.object({
  ...ManifestBase,
  mediaType: z.literal(MediaType.DockerManifest),
  config: Descriptor,
  layers: z.array(Descriptor),
});
export type DockerManifest = z.infer<typeof DockerManifest>;

export const OciIndex = z.object({
  ...ManifestBase,
  mediaType: z.literal(MediaType.OciIndex),
  manifests: z.array(Descriptor),
});
export type OciIndex = z.infer<typeof OciIndex>;

export const DockerManifestList = z.object({
  ...ManifestBase,
  mediaType: z.literal(MediaType.DockerManifestList),
  manifests: z.array(Descriptor),
});
export type DockerManifestList = z.infer<typeof DockerManifestList>;

export const OciArtifactManifest = z.object({
  schemaVersion: z.optional(z.literal(2)),
  mediaType: z.literal(MediaType.OciArtifactManifest),
  artifactType: z.optional(z.string()),
  blobs: z._default(z.array(Descriptor), []),
  subject: z.optional(Descriptor),
  annotations: z.optional(StringMap),
});
export type OciArtifactManifest = z.infer<typeof OciArtifactManifest>;

/**
 * `mediaType` is optional in OCI manifests and indexes (image-spec: SHOULD, not MUST); without it the
 * shape tells them apart: `manifests` → index, `config`+`layers` → image manifest, `blobs` → artifact.
 */
function withMediaType(value: unknown): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const v = value as Record<string, unknown>;
  if (typeof v['mediaType'] === 'string') return value;
  if (Array.isArray(v['manifests'])) return { ...v, mediaType: MediaType.OciIndex };
  if (v['config'] !== undefined && Array.isArray(v['layers']))
    return { ...v, mediaType: MediaType.OciManifest };
  if (Array.isArray(v['blobs'])) return { ...v, mediaType: MediaType.OciArtifactManifest };
  return value;
}

export const Manifest = z.pipe(
  z.transform(withMediaType),
  z.discriminatedUnion('mediaType', [
    OciImageManifest,
    DockerManifest,
    OciIndex,
    DockerManifestList,
    OciArtifactManifest,
  ]),
);
export type Manifest = z.infer<typeof Manifest>;
export type ImageManifest = OciImageManifest | DockerManifest;
export type IndexManifest = OciIndex | DockerManifestList;

export function isIndex(m: Manifest): m is IndexManifest {
  return m.mediaType === MediaType.OciIndex || m.mediaType === MediaType.DockerManifestList;
}
export function isImageManifest(m: Manifest): m is ImageManifest {
  return m.mediaType === MediaType.OciManifest || m.mediaType === MediaType.DockerManifest;
}

/** An optional field whose malformed value is dropped instead of failing the whole document. */
const lenient = <T extends z.core.SomeType>(schema: T) => z.catch(z.optional(schema), undefined);

/** The image config blob; OCI and Docker configs share these fields. */
export const ImageConfig = z.object({
  created: lenient(z.string()),
  architecture: lenient(z.string()),
  os: lenient(z.string()),
  variant: lenient(z.string()),
  config: z.catch(
    z.nullish(
      z.object({
        Labels: z.catch(z.nullish(StringMap), undefined),
        Env: z.catch(z.nullish(z.array(z.string()).check(z.maxLength(10_000))), undefined),
      }),
    ),
    undefined,
  ),
  history: lenient(z.array(z.unknown())),
});
export type ImageConfig = z.infer<typeof ImageConfig>;

/** Registry error body: `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"…","detail":…}]}`. */
export const RegistryErrorBody = z.object({
  errors: z.array(z.object({ code: z.catch(z.string(), 'UNKNOWN'), message: lenient(z.string()) })),
});
export type RegistryErrorBody = z.infer<typeof RegistryErrorBody>;

function decodeJson(bytes: Uint8Array, what: string): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    throw new ManifestFormatError(`The ${what} is not UTF-8 text`, { cause: err });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ManifestFormatError(`The ${what} is not JSON`, { cause: err });
  }
}

function issuesOf(error: z.core.$ZodError): string {
  return describeIssues(error.issues, 5);
}

/**
 * Parses manifest bytes. `contentType` (the response header) fills in a missing `mediaType`; the field in
 * the document wins when both are present, since it is what the digest covers. Throws ManifestFormatError,
 * never anything else.
 */
export function parseManifest(bytes: Uint8Array, contentType?: string): Manifest {
  let json = decodeJson(bytes, 'manifest');
  if (json && typeof json === 'object' && !Array.isArray(json)) {
    const obj = json as Record<string, unknown>;
    const headerType = contentType?.split(';')[0]?.trim();
    if (obj['mediaType'] === undefined && headerType && MANIFEST_MEDIA_TYPES.includes(headerType)) {
      json = { ...obj, mediaType: headerType };
    }
    const mt = (json as Record<string, unknown>)['mediaType'];
    if (obj['schemaVersion'] === 1 || mt === MediaType.DockerManifestV1Signed) {
      throw new ManifestFormatError(
        'Docker schema 1 manifests are not supported; push the image again with a current client (schema 2 or OCI)',
      );
    }
    if (typeof mt === 'string' && !MANIFEST_MEDIA_TYPES.includes(mt)) {
      throw new ManifestFormatError(`Unsupported manifest media type ${JSON.stringify(mt.slice(0, 200))}`);
    }
  }
  const r = Manifest.safeParse(json);
  if (!r.success) throw new ManifestFormatError(`Invalid manifest: ${issuesOf(r.error)}`);
  return r.data;
}

/** Parses an image config blob. Throws ManifestFormatError, never anything else. */
export function parseImageConfig(bytes: Uint8Array): ImageConfig {
  const r = ImageConfig.safeParse(decodeJson(bytes, 'image config'));
  if (!r.success) throw new ManifestFormatError(`Invalid image config: ${issuesOf(r.error)}`);
  return r.data;
}
