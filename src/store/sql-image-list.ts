import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { ImageListQuery } from '../contract/images.js';
import {
  encodeCursor,
  normalizeListQuery,
  prefixEnd,
  type ImagePage,
  type NormalizedListQuery,
} from './image-store.js';
import type { DialectName } from './database.js';
import type { Database } from './schema.js';
import { summaries, type ImageRow } from './sql-image-summaries.js';
import { deployedImageIds } from './sql-deployment-images.js';

/**
 * The image list: one page of images, newest `updated_at` first, keyset-paged on `(updated_at, id)`.
 *
 * Each filter is one entry of `FILTERS` (add a filter: one entry, plus its field in `NormalizedListQuery`):
 * - `where` narrows the images to those matching it (a condition on `images`, or a semi-join on `id`);
 * - `keys`, for a filter on a child table that keeps a copy of the image's `updated_at` (migration 0008),
 *   reads the matching `(image_updated_at, image_id)` pairs newest first from its index
 *   `(value, image_updated_at, image_id)`. The first filter with keys drives the page: its index is read
 *   top-N (every other filter applied to each candidate), then the page's images are fetched by id. Without
 *   it the tag, branch and issue filters walked the whole `updated_at` index probing every image (ADR 0005).
 */

type Db = Kysely<Database>;
type ImagesOf<O> = SelectQueryBuilder<Database, 'images', O>;
type ImagesQuery = ImagesOf<ImageRow>;

/** A child-table index `(column, image_updated_at, image_id)` that lists a filter's images newest first. */
export interface ListIndex {
  table: 'image_tags' | 'builds' | 'build_issues';
  column: 'tag' | 'git_branch' | 'issue_key';
  /** More than one row per image is possible (several builds on one branch or linking one issue). */
  distinct: boolean;
  /** The value the query filters on, or undefined when it does not use this filter. */
  value(q: NormalizedListQuery): string | undefined;
}

export interface ListFilter {
  /** Narrows the images to those matching `q`, or returns `qb` unchanged when `q` does not use this filter. */
  where<O>(qb: ImagesOf<O>, q: NormalizedListQuery): ImagesOf<O>;
  index?: ListIndex;
}

/** A filter that an image has a child row with `column = value`. */
function childFilter(index: ListIndex): ListFilter {
  return {
    index,
    where: (qb, q) => {
      const value = index.value(q);
      if (value === undefined) return qb;
      return qb.where('id', 'in', (eb) =>
        eb.selectFrom(index.table).select('image_id').where(index.column, '=', value),
      );
    },
  };
}

/** Filters with an index first, most selective first: the first that applies drives the page. */
export const FILTERS: readonly ListFilter[] = [
  childFilter({ table: 'build_issues', column: 'issue_key', distinct: true, value: (q) => q.issue }),
  childFilter({ table: 'builds', column: 'git_branch', distinct: true, value: (q) => q.branch }),
  // (image_id, tag) is the primary key: one row per image.
  childFilter({ table: 'image_tags', column: 'tag', distinct: false, value: (q) => q.tag }),
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
    where: (qb, q) => {
      const f = q.deployment;
      if (f === undefined) return qb;
      return qb.where('id', f.deployed === false ? 'not in' : 'in', (eb) => deployedImageIds(eb, f));
    },
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
];

export async function listImages(db: Db, dialect: DialectName, query: ImageListQuery): Promise<ImagePage> {
  const q = normalizeListQuery(query);
  const rows = await summaries(db, dialect, pageQuery(db, q), { deployedIn: true });
  const items = rows.slice(0, q.limit).map((r) => r.summary);
  const last = items.at(-1);
  return rows.length > q.limit && last
    ? { items, nextCursor: encodeCursor({ updatedAt: last.updatedAt, id: last.id }) }
    : { items };
}

/** One page plus one row (to know whether there is a next page), newest first. */
function pageQuery(db: Db, q: NormalizedListQuery): ImagesQuery {
  const page = db.selectFrom('images').selectAll().orderBy('updated_at', 'desc').orderBy('id', 'desc');
  const driver = FILTERS.findIndex((f) => f.index?.value(q) !== undefined);
  const index = FILTERS[driver]?.index;
  if (index !== undefined) {
    // The copies equal `images.updated_at`, so the index's top N are this page, in this order.
    const others = FILTERS.filter((_, i) => i !== driver);
    return page.where('id', 'in', db.selectFrom(topKeys(db, index, q, others).as('k')).select('k.image_id'));
  }
  let all = page;
  for (const f of FILTERS) all = f.where(all, q);
  // Keyset: `(updated_at, id) < cursor`, written so the first term is a plain range on the index.
  const c = q.cursor;
  if (c !== undefined)
    all = all
      .where('updated_at', '<=', c.updatedAt)
      .where((eb) => eb.or([eb('updated_at', '<', c.updatedAt), eb('id', '<', c.id)]));
  return all.limit(q.limit + 1);
}

/**
 * The page's image ids read top-N from `index`, newest first, after the cursor; each candidate must also
 * pass the `others` filters the query uses (a probe by id), so the page is still full.
 */
function topKeys(db: Db, index: ListIndex, q: NormalizedListQuery, others: readonly ListFilter[]) {
  let keys = db
    .selectFrom(index.table)
    .select(['image_updated_at', 'image_id'])
    .where(index.column, '=', index.value(q) ?? '')
    .orderBy('image_updated_at', 'desc')
    .orderBy('image_id', 'desc')
    .limit(q.limit + 1);
  if (index.distinct) keys = keys.distinct();
  const c = q.cursor;
  if (c !== undefined)
    keys = keys
      .where('image_updated_at', '<=', c.updatedAt)
      .where((eb) => eb.or([eb('image_updated_at', '<', c.updatedAt), eb('image_id', '<', c.id)]));
  const matching = db.selectFrom('images').select('id');
  let narrowed = matching;
  for (const f of others) narrowed = f.where(narrowed, q);
  return narrowed === matching ? keys : keys.where('image_id', 'in', narrowed);
}
