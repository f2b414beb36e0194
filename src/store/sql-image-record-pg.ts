import { sql, type Expression, type Kysely, type QueryCreator, type SqlBool } from 'kysely';
import type { EnrichmentRecord, RecordResult, ReportCompletion } from './image-store.js';
import type { Platform } from '../contract/images.js';
import { uniqueBy } from './sql-image-children.js';
import { succeededUpdate } from './sql-report-rows.js';
import type { Database } from './schema.js';
import { buildRow, imageRow, imageUpsertOf, onBuildConflict, type NewIds } from './sql-image-record.js';

/**
 * Recording an enrichment on PostgreSQL in one statement, with no BEGIN and COMMIT: each statement is a
 * round trip, and the control plane's CPU per report follows them (docs/benchmarks.md). Covers what most
 * reports are: an image with tags and platforms, no referrers, Git commit or issues; the caller runs the
 * transaction of sql-image-record.ts for the rest, and when this returns null.
 *
 * A statement sees the rows committed before it started, while the multi-statement path reads the child
 * rows after the image row's lock is taken. The guard keeps the two equivalent: the image's conflict update
 * applies only if the row it locked is the version this statement's snapshot saw (same `xmin`). When another
 * recording of the image committed in between, nothing is written (every other part hangs off the image
 * row this returns) and the caller falls back to the transaction, which sees that recording's rows.
 */
export async function recordInOneStatement(
  db: Kysely<Database>,
  r: EnrichmentRecord,
  ids: NewIds,
  at: string,
  completes?: ReportCompletion,
): Promise<(RecordResult & { completed?: boolean }) | null> {
  const tags = [...new Set(r.image.tags)].sort();
  if (!fitsOneStatement(r)) return null;
  const platforms = uniqueBy(r.image.platforms, (p) => p.digest);
  const image = sql<string>`(select id from img)`;
  const build = buildRow(r, { newId: ids.buildId, sha: undefined, at });
  const row = await db
    .with('img', (qc) =>
      imageUpsertOf(
        qc,
        imageRow(r.image, ids.imageId, at),
        sql<SqlBool>`images.xmin = (select i.xmin from images i where i.id = images.id)`,
      ).returning('id'),
    )
    // The list copies of the image's `updated_at` (migration 0008), on the rows this statement does not
    // write itself: one row changed twice in a statement is undefined in PostgreSQL.
    .with('t', (qc) =>
      qc
        .updateTable('image_tags')
        .set({ image_updated_at: at })
        .where('image_id', '=', image)
        .where(sql<SqlBool>`tag <> all(${tags}::text[])`)
        .returning('image_id'),
    )
    .with('b', (qc) =>
      qc
        .updateTable('builds')
        .set({ image_updated_at: at })
        .where('image_id', '=', image)
        .where('build_key', '<>', build.build_key)
        .returning('id'),
    )
    .with('bi', (qc) =>
      qc
        .updateTable('build_issues')
        .set({ image_updated_at: at })
        .where('image_id', '=', image)
        .returning('build_id'),
    )
    // Platforms and referrers are registry facts the newest enrichment replaces (this one has no referrers).
    // Platforms by position: the rows past the new count go, the others are upserted, so no row is
    // written twice in the statement.
    .with('p', (qc) =>
      qc
        .deleteFrom('image_platforms')
        .where('image_id', '=', image)
        .where('position', '>=', platforms.length)
        .returning('image_id'),
    )
    .with('pl', (qc) => platformsUpsert(qc as unknown as QueryCreator<Database>, platforms))
    .with('rf', (qc) => qc.deleteFrom('image_referrers').where('image_id', '=', image).returning('image_id'))
    .with('tg', (qc) => tagsInsert(qc as unknown as QueryCreator<Database>, tags, at))
    .with('bld', (qc) => buildInsert(qc as unknown as QueryCreator<Database>, build))
    // The agent's completion, in the same statement: "succeeded" only while the lease is the caller's.
    // (These CTEs read none of the earlier ones by name: the table types are Database's.)
    .with('done', (qc) =>
      completion(qc as unknown as QueryCreator<Database>, completes, image, r.image.digest, at),
    )
    .selectFrom('img')
    .select((eb) => [
      'img.id',
      eb.selectFrom('bld').select('bld.id').as('build_id'),
      eb
        .selectFrom('done')
        .select((e) => e.fn.countAll<string>().as('n'))
        .as('completed'),
    ])
    .executeTakeFirst();
  if (!row?.build_id) return null;
  return {
    imageId: row.id,
    buildId: row.build_id,
    created: row.id === ids.imageId,
    buildCreated: row.build_id === ids.buildId,
    ...(completes ? { completed: Number(row.completed) > 0 } : {}),
  };
}

/** Tags accumulate; a tag already there keeps its first_seen_at and takes the new `updated_at` copy. */
function tagsInsert(qc: QueryCreator<Database>, tags: string[], at: string) {
  return qc
    .insertInto('image_tags')
    .columns(['image_id', 'tag', 'first_seen_at', 'image_updated_at'])
    .expression(sql`select img.id, x.tag, ${at}, ${at} from img, unnest(${tags}::text[]) as x(tag)`)
    .onConflict((oc) =>
      oc.columns(['image_id', 'tag']).doUpdateSet((eb) => ({
        image_updated_at: eb.ref('excluded.image_updated_at'),
      })),
    )
    .returning('image_id');
}

/** Upserts the platforms in index order, from `img`; one array parameter per column, whatever the count. */
function platformsUpsert(qc: QueryCreator<Database>, platforms: readonly Platform[]) {
  const column = <T>(f: (p: Platform, i: number) => T) => platforms.map(f);
  const rows = sql`select img.id, x.* from img, unnest(
    ${column((_, i) => i)}::int[], ${column((p) => p.digest)}::text[], ${column((p) => p.os)}::text[],
    ${column((p) => p.architecture)}::text[], ${column((p) => p.variant ?? null)}::text[],
    ${column((p) => p.size)}::int8[], ${column((p) => p.mediaType)}::text[],
    ${column((p) => (p.config ? JSON.stringify(p.config) : null))}::text[]
  ) as x(position, digest, os, architecture, variant, size, media_type, config)`;
  return qc
    .insertInto('image_platforms')
    .columns([
      'image_id',
      'position',
      'digest',
      'os',
      'architecture',
      'variant',
      'size',
      'media_type',
      'config',
    ])
    .expression(rows)
    .onConflict((oc) =>
      oc.columns(['image_id', 'position']).doUpdateSet((eb) => ({
        digest: eb.ref('excluded.digest'),
        os: eb.ref('excluded.os'),
        architecture: eb.ref('excluded.architecture'),
        variant: eb.ref('excluded.variant'),
        size: eb.ref('excluded.size'),
        media_type: eb.ref('excluded.media_type'),
        config: eb.ref('excluded.config'),
      })),
    )
    .returning('image_id');
}

/** From `img`, like the tags: when the guard held the image back, nothing else is written either. */
function buildInsert(qc: QueryCreator<Database>, build: ReturnType<typeof buildRow>) {
  return qc
    .insertInto('builds')
    .columns(['image_id', ...(Object.keys(build) as Array<keyof typeof build>)])
    .expression(sql`select img.id, ${sql.join(Object.values(build))} from img`)
    .onConflict(onBuildConflict)
    .returning('id');
}

function completion(
  qc: QueryCreator<Database>,
  c: ReportCompletion | undefined,
  imageId: Expression<string>,
  digest: string,
  at: string,
) {
  // No completion asked: a condition no row meets.
  const held = { id: c?.reportId ?? '', owner: c?.owner ?? '' };
  return (
    succeededUpdate(qc, held, { imageId, digest }, c?.steps, at)
      // Nothing when the guard held the image back (the caller then records in a transaction).
      .where(sql<SqlBool>`exists (select 1 from img)`)
      .returning('id')
  );
}

function fitsOneStatement(r: EnrichmentRecord): boolean {
  return (
    r.image.referrers.length === 0 &&
    !r.git?.sha &&
    (r.pullRequests ?? []).length === 0 &&
    (r.issues ?? []).length === 0
  );
}
