import { DigestMismatchError } from './errors.js';
import { sig, type RegistryHttp } from './exchange.js';
import { matchesDigest, validateRepository } from './names.js';
import { pullScope } from './auth.js';
import { parseDigest } from './reference.js';

/** A blob, verified against its digest. ECR answers with a 307 to S3, followed without credentials. */
export async function getBlob(
  http: RegistryHttp,
  repository: string,
  digest: string,
  opts: { signal?: AbortSignal; maxBytes: number },
): Promise<Uint8Array> {
  validateRepository(repository);
  parseDigest(digest);
  const ex = await http.exchange({
    kind: 'blob',
    method: 'GET',
    url: `${http.endpoint}/v2/${repository}/blobs/${digest}`,
    scope: pullScope(repository),
    maxBytes: opts.maxBytes,
    ...sig(opts),
  });
  if (ex.status !== 200) throw http.error(ex, { repository, reference: digest, noun: 'Blob' });
  if (!matchesDigest(ex.body, digest)) {
    throw new DigestMismatchError(
      `Blob ${http.host}/${repository}@${digest}: the bytes received do not hash to the digest`,
    );
  }
  return ex.body;
}
