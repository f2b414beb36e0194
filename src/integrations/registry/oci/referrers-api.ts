import { pullScope } from './auth.js';
import { sig, type RegistryHttp } from './exchange.js';
import { firstErrorCode } from './http-errors.js';
import { validateRepository } from './names.js';
import { parseDigest } from './reference.js';
import { MediaType, parseManifest, type OciIndex } from './schema.js';

export type ReferrersApiResult = { supported: true; index: OciIndex } | { supported: false };

/**
 * OCI 1.1 `GET /v2/<name>/referrers/<digest>`. `supported: false` when the registry has no such API
 * (distribution 2.8 answers a plain-text 404; others 400/404/405): the caller falls back to the tag schema.
 */
export async function getReferrersIndex(
  http: RegistryHttp,
  repository: string,
  digest: string,
  opts: { signal?: AbortSignal; artifactType?: string; maxBytes: number },
): Promise<ReferrersApiResult> {
  validateRepository(repository);
  parseDigest(digest);
  const query = opts.artifactType ? `?artifactType=${encodeURIComponent(opts.artifactType)}` : '';
  const ex = await http.exchange({
    kind: 'referrers',
    method: 'GET',
    url: `${http.endpoint}/v2/${repository}/referrers/${digest}${query}`,
    accept: MediaType.OciIndex,
    scope: pullScope(repository),
    maxBytes: opts.maxBytes,
    ...sig(opts),
  });
  const subject = { repository, reference: digest, noun: 'Referrers of' };
  if (ex.status === 404 || ex.status === 400 || ex.status === 405) {
    // A registry implementing the API answers 200 with an empty index even for an unknown subject, so any
    // 404 here means "no API" — except a JSON NAME_UNKNOWN, which means the repository is missing.
    if (firstErrorCode(ex.body).code === 'NAME_UNKNOWN') throw http.error(ex, subject);
    return { supported: false };
  }
  if (ex.status !== 200) throw http.error(ex, subject);
  const manifest = parseManifest(ex.body, ex.headers.get('content-type') ?? MediaType.OciIndex);
  if (manifest.mediaType !== MediaType.OciIndex) return { supported: false };
  return { supported: true, index: manifest };
}
