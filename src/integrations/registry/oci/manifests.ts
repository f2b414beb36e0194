import { DigestMismatchError } from './errors.js';
import { sig, type RegistryHttp } from './exchange.js';
import { matchesDigest, sha, validateReference, validateRepository } from './names.js';
import { pullScope } from './auth.js';
import { isDigest } from './reference.js';
import { MANIFEST_MEDIA_TYPES, parseManifest, type Manifest } from './schema.js';

export interface ManifestResult {
  /** sha256 of `bytes` (or the requested digest, verified, when fetched by digest). */
  digest: string;
  mediaType: string;
  size: number;
  /** The exact bytes the registry sent; the digest covers these, not a re-serialisation. */
  bytes: Uint8Array;
  manifest: Manifest;
}

export interface ManifestHead {
  digest?: string;
  mediaType?: string;
  size?: number;
}

export interface ManifestOptions {
  signal?: AbortSignal;
  accept?: readonly string[];
}

function manifestOp(http: RegistryHttp, repository: string, reference: string, opts: ManifestOptions) {
  validateRepository(repository);
  validateReference(reference);
  return {
    url: `${http.endpoint}/v2/${repository}/manifests/${reference}`,
    accept: (opts.accept ?? MANIFEST_MEDIA_TYPES).join(', '),
    scope: pullScope(repository),
    ...sig(opts),
  };
}

export async function getManifest(
  http: RegistryHttp,
  repository: string,
  reference: string,
  opts: ManifestOptions & { maxBytes: number },
): Promise<ManifestResult> {
  const ex = await http.exchange({
    kind: 'manifest',
    method: 'GET',
    maxBytes: opts.maxBytes,
    ...manifestOp(http, repository, reference, opts),
  });
  if (ex.status !== 200) throw http.error(ex, { repository, reference, noun: 'Manifest' });
  const bytes = ex.body;
  const computed = sha(bytes);
  const where = `${http.host}/${repository}@${reference}`;
  if (isDigest(reference) && !matchesDigest(bytes, reference)) {
    throw new DigestMismatchError(
      `Manifest ${where}: the registry sent bytes that do not hash to the requested digest`,
    );
  }
  const announced = ex.headers.get('docker-content-digest');
  if (announced && isDigest(announced) && !matchesDigest(bytes, announced)) {
    throw new DigestMismatchError(
      `Manifest ${where}: Docker-Content-Digest ${announced} does not match the bytes received (${computed})`,
    );
  }
  const manifest = parseManifest(bytes, ex.headers.get('content-type') ?? undefined);
  return {
    digest: isDigest(reference) ? reference : computed,
    mediaType: manifest.mediaType,
    size: bytes.length,
    bytes,
    manifest,
  };
}

/** `HEAD` a manifest: digest, media type and size without the body (one call, no download). */
export async function headManifest(
  http: RegistryHttp,
  repository: string,
  reference: string,
  opts: ManifestOptions = {},
): Promise<ManifestHead> {
  const ex = await http.exchange({
    kind: 'manifest-head',
    method: 'HEAD',
    maxBytes: 0,
    ...manifestOp(http, repository, reference, opts),
  });
  if (ex.status !== 200) throw http.error(ex, { repository, reference, noun: 'Manifest' });
  const out: ManifestHead = {};
  const digest = ex.headers.get('docker-content-digest');
  if (digest && isDigest(digest)) out.digest = digest;
  const type = ex.headers.get('content-type')?.split(';')[0]?.trim();
  if (type) out.mediaType = type;
  const declared = ex.headers.get('content-length');
  const length = Number(declared);
  if (declared !== null && Number.isSafeInteger(length) && length >= 0) out.size = length;
  return out;
}
