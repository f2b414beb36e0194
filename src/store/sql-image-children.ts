import { sql, type Transaction } from 'kysely';
import type { EnrichedImage } from '../contract/images.js';
import type { DialectName } from './database.js';
import type { Database } from './schema.js';

/**
 * The per-image child rows (tags, platforms, referrers), written in batches. One multi-row INSERT binds
 * rows × columns parameters: SQLite refuses more than 32,766 variables and PostgreSQL more than 65,535, so
 * an index of a few thousand entries in one statement failed. Batches of at most this many parameters stay
 * far below both limits while keeping the statement count small.
 */
export const MAX_PARAMETERS_PER_STATEMENT = 8000;

/** Splits rows into batches of at most `MAX_PARAMETERS_PER_STATEMENT / columns` rows. */
export function batches<T>(rows: readonly T[], columns: number): T[][] {
  const size = Math.max(1, Math.floor(MAX_PARAMETERS_PER_STATEMENT / Math.max(1, columns)));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/** Keeps the first entry of each key: an index may list one manifest twice; it is one platform. */
export function uniqueBy<T>(rows: readonly T[], key: (r: T) => string): T[] {
  const seen = new Set<string>();
  return rows.filter((r) => {
    const k = key(r);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Tags accumulate: a tag seen once stays on the digest (the registry may have moved it since). `at` is also
 * the image's new `updated_at`, copied onto each new tag row (tags already there are refreshed by the caller).
 */
export async function addTags(
  trx: Transaction<Database>,
  imageId: string,
  tags: readonly string[],
  at: string,
): Promise<void> {
  const rows = [...new Set(tags)]
    .sort()
    .map((tag) => ({ image_id: imageId, tag, first_seen_at: at, image_updated_at: at }));
  for (const batch of batches(rows, 4)) {
    await trx
      .insertInto('image_tags')
      .values(batch)
      .onConflict((oc) => oc.columns(['image_id', 'tag']).doNothing())
      .execute();
  }
}

/** Platforms and referrers are registry facts: the newest enrichment replaces them. */
export async function replacePlatformsAndReferrers(
  trx: Transaction<Database>,
  dialect: DialectName,
  imageId: string,
  image: Pick<EnrichedImage, 'platforms' | 'referrers'>,
  replacing: boolean,
): Promise<void> {
  if (replacing && dialect === 'postgres') {
    // One statement where the engine allows it: each is a round trip (docs/benchmarks.md, CPU per report).
    await sql`with p as (delete from image_platforms where image_id = ${imageId})
      delete from image_referrers where image_id = ${imageId}`.execute(trx);
  } else if (replacing) {
    await trx.deleteFrom('image_platforms').where('image_id', '=', imageId).execute();
    await trx.deleteFrom('image_referrers').where('image_id', '=', imageId).execute();
  }
  const platforms = uniqueBy(image.platforms, (p) => p.digest).map((p, position) => ({
    image_id: imageId,
    position,
    digest: p.digest,
    os: p.os,
    architecture: p.architecture,
    variant: p.variant ?? null,
    size: p.size,
    media_type: p.mediaType,
    config: p.config ? JSON.stringify(p.config) : null,
  }));
  for (const batch of batches(platforms, 9)) {
    await trx.insertInto('image_platforms').values(batch).execute();
  }
  const referrers = uniqueBy(image.referrers, (x) => x.digest).map((x) => ({
    image_id: imageId,
    digest: x.digest,
    kind: x.kind,
    artifact_type: x.artifactType ?? null,
    media_type: x.mediaType,
    tag: x.tag ?? null,
  }));
  for (const batch of batches(referrers, 6)) {
    await trx.insertInto('image_referrers').values(batch).execute();
  }
}
