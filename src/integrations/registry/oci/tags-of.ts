import type { CallOptions, RegistryClient } from './client.js';
import { isArtifactTag } from './referrers.js';

export interface TagsOfDigest {
  /** Tags that point at the digest now, sorted. */
  tags: string[];
  /** True when the repository had more tags than were checked (`max`). */
  partial: boolean;
}

/**
 * The tags of a repository that point at one digest. The registry API has no reverse lookup, so each tag
 * is resolved with a HEAD (no body), a few at a time, at most `max` of them; signature/attestation tags
 * (`sha256-<hex>.sig` …) are not image tags and are skipped.
 */
export async function tagsOfDigest(
  client: RegistryClient,
  repository: string,
  digest: string,
  opts: CallOptions & { max?: number; concurrency?: number } = {},
): Promise<TagsOfDigest> {
  const call = opts.signal ? { signal: opts.signal } : {};
  const all = (await client.listTags(repository, call)).filter((t) => !isArtifactTag(t));
  const max = opts.max ?? 200;
  const candidates = all.slice(0, max);
  const found: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < candidates.length) {
      const tag = candidates[next++]!;
      const head = await client.headManifest(repository, tag, call);
      if (head.digest === digest) found.push(tag);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 4, candidates.length) }, worker));
  return { tags: found.sort(), partial: all.length > max };
}
