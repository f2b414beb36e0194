import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { ImageListQuery } from '../enrichment/model.js';
import {
  encodeCursor,
  normalizeListQuery,
  prefixEnd,
  type ImagePage,
  type NormalizedListQuery,
} from './image-store.js';
import type { Database } from './schema.js';
import { summaries, type ImageRow } from './sql-image-summaries.js';

/**
 * The image list: one page of images, newest `updated_at` first, keyset-paged. Each filter is one entry of
 * `FILTERS`; a new filter is one more entry (and its field in `NormalizedListQuery`).
 */

type ImagesQuery = SelectQueryBuilder<Database, 'images', ImageRow>;

export interface ListFilter {
  /** Narrows the images to those matching `q`, or returns `qb` unchanged when `q` does not use this filter. */
  where(qb: ImagesQuery, q: NormalizedListQuery): ImagesQuery;
}

export const FILTERS: readonly ListFilter[] = [
  { where: (qb, q) => (q.registry === undefined ? qb : qb.where('registry', '=', q.registry)) },
  { where: (qb, q) => (q.repository === undefined ? qb : qb.where('repository', '=', q.repository)) },
  {
    where: (qb, q) =>
      q.repositoryPrefix === undefined
        ? qb
        : qb
            .where('repository', '>=', q.repositoryPrefix)
            .where('repository', '<', prefixEnd(q.repositoryPrefix)),
  },
  { where: (qb, q) => (q.digest === undefined ? qb : qb.where('digest', '=', q.digest)) },
  {
    where: (qb, q) =>
      q.tag === undefined
        ? qb
        : qb.where('id', 'in', (eb) =>
            eb
              .selectFrom('image_tags')
              .select('image_id')
              .where('tag', '=', q.tag ?? ''),
          ),
  },
  {
    where: (qb, q) =>
      q.branch === undefined
        ? qb
        : qb.where('id', 'in', (eb) =>
            eb
              .selectFrom('builds')
              .select('image_id')
              .where('git_branch', '=', q.branch ?? ''),
          ),
  },
  {
    where: (qb, q) => {
      const prefix = q.commitPrefix;
      if (prefix === undefined) return qb;
      return qb.where('id', 'in', (eb) =>
        eb
          .selectFrom('builds')
          .select('image_id')
          .where('git_sha', '>=', prefix)
          .where('git_sha', '<', prefixEnd(prefix)),
      );
    },
  },
  {
    where: (qb, q) =>
      q.issue === undefined
        ? qb
        : qb.where('id', 'in', (eb) =>
            eb
              .selectFrom('build_issues')
              .innerJoin('builds', 'builds.id', 'build_issues.build_id')
              .select('builds.image_id')
              .where('build_issues.issue_key', '=', q.issue ?? ''),
          ),
  },
];

export async function listImages(db: Kysely<Database>, query: ImageListQuery): Promise<ImagePage> {
  const q = normalizeListQuery(query);
  let qb: ImagesQuery = db.selectFrom('images').selectAll();
  for (const f of FILTERS) qb = f.where(qb, q);
  const rows = await qb
    // Keyset: `(updated_at, id) < cursor`, written so the first term is a plain range on the index.
    .$if(q.cursor !== undefined, (b) => {
      const c = q.cursor ?? { updatedAt: '', id: '' };
      return b
        .where('updated_at', '<=', c.updatedAt)
        .where((eb) => eb.or([eb('updated_at', '<', c.updatedAt), eb('id', '<', c.id)]));
    })
    .orderBy('updated_at', 'desc')
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();

  const page = rows.slice(0, q.limit);
  const items = await summaries(db, page);
  const last = page.at(-1);
  return rows.length > q.limit && last
    ? { items, nextCursor: encodeCursor({ updatedAt: last.updated_at, id: last.id }) }
    : { items };
}
