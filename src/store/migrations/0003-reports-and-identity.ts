import { PostgresIntrospector, sql, type Kysely, type Migration } from 'kysely';
import { canonicalRegistry } from '../../domain/registry-host.js';

/**
 * Issue 9 ("the first hour"): reports listable by image; per-platform config facts of an index; one image
 * record per image. `Kysely<any>` on purpose, as in 0001: the schema as it was at this point in history.
 *
 * - `image_reports.image`: the reported reference as a column (it was only inside the input JSON), so the
 *   report list can filter by image with an index. Backfilled from the input.
 * - `image_platforms.config`: JSON of the platform's own config facts (created, labels, Env).
 * - Duplicate image records: before registry names were canonical, `ECR.example.com`, `ecr.example.com:443`
 *   and `ecr.example.com` gave three records of one image. They are merged into the record under the
 *   canonical name (or, when there is none, the first one renamed to it): tags and builds move over (a
 *   build already on the keeper is kept once), report results point at it, the rest is deleted.
 */
export const reportsAndIdentity: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>): Promise<void> {
    // Byte order on PostgreSQL too, so the prefix filter's range is a prefix match (see 0002).
    const pg = db.introspection instanceof PostgresIntrospector;
    await db.schema
      .alterTable('image_reports')
      .addColumn('image', pg ? sql`text collate "C"` : 'text')
      .execute();
    await db.schema.alterTable('image_platforms').addColumn('config', 'text').execute();
    await backfillReportImages(db);
    await db.schema
      .createIndex('image_reports_image_idx')
      .on('image_reports')
      .columns(['image', 'id'])
      .execute();
    await db.schema
      .createIndex('image_reports_runtime_idx')
      .on('image_reports')
      .columns(['runtime', 'id'])
      .execute();
    await mergeDuplicateImages(db);
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropIndex('image_reports_runtime_idx').execute();
    await db.schema.dropIndex('image_reports_image_idx').execute();
    await db.schema.alterTable('image_platforms').dropColumn('config').execute();
    await db.schema.alterTable('image_reports').dropColumn('image').execute();
  },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function backfillReportImages(db: Kysely<any>): Promise<void> {
  for (;;) {
    const rows: Array<{ id: string; input: string }> = await db
      .selectFrom('image_reports')
      .select(['id', 'input'])
      .where('image', 'is', null)
      .limit(1000)
      .execute();
    if (rows.length === 0) return;
    for (const r of rows) {
      let image = '';
      try {
        const v = (JSON.parse(r.input) as { image?: unknown }).image;
        if (typeof v === 'string') image = v;
      } catch {
        // An unreadable input keeps '' (listed, never matched by an image filter).
      }
      await db.updateTable('image_reports').set({ image }).where('id', '=', r.id).execute();
    }
  }
}

/**
 * Only names that can differ from their canonical form are read: upper case, an explicit port, a Docker
 * Hub alias. On a store written by this version there are none, so this costs one indexed-free scan.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function mergeDuplicateImages(db: Kysely<any>): Promise<void> {
  const lower = sql<string>`lower(registry)`;
  const suspects: Array<{ id: string; registry: string; repository: string; digest: string }> = await db
    .selectFrom('images')
    .select(['id', 'registry', 'repository', 'digest'])
    .where((eb) =>
      eb.or([
        eb(lower, '<>', eb.ref('registry')),
        eb('registry', 'like', '%:%'),
        eb('registry', 'in', ['index.docker.io', 'registry-1.docker.io']),
      ]),
    )
    .execute();
  for (const s of suspects) {
    const registry = canonicalRegistry(s.registry);
    if (registry === s.registry) continue;
    const keeper: { id: string } | undefined = await db
      .selectFrom('images')
      .select('id')
      .where('registry', '=', registry)
      .where('repository', '=', s.repository)
      .where('digest', '=', s.digest)
      .executeTakeFirst();
    if (!keeper) {
      await db.updateTable('images').set({ registry }).where('id', '=', s.id).execute();
      continue;
    }
    await mergeInto(db, s.id, keeper.id);
  }
}

/** Moves what `from` has and `to` lacks (tags, builds), then deletes `from` (its other rows cascade). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function mergeInto(db: Kysely<any>, from: string, to: string): Promise<void> {
  await db
    .deleteFrom('image_tags')
    .where('image_id', '=', from)
    .where('tag', 'in', db.selectFrom('image_tags').select('tag').where('image_id', '=', to))
    .execute();
  await db.updateTable('image_tags').set({ image_id: to }).where('image_id', '=', from).execute();
  // A build already recorded on the keeper (same build key) stays there once; its issues go with it.
  const dupBuilds = db
    .selectFrom('builds as b')
    .select('b.id')
    .where('b.image_id', '=', from)
    .where('b.build_key', 'in', db.selectFrom('builds').select('build_key').where('image_id', '=', to));
  await db.deleteFrom('build_issues').where('build_id', 'in', dupBuilds).execute();
  await db.deleteFrom('builds').where('id', 'in', dupBuilds).execute();
  await db.updateTable('builds').set({ image_id: to }).where('image_id', '=', from).execute();
  await db
    .updateTable('image_reports')
    .set({ result_image_id: to })
    .where('result_image_id', '=', from)
    .execute();
  await db.deleteFrom('image_platforms').where('image_id', '=', from).execute();
  await db.deleteFrom('image_referrers').where('image_id', '=', from).execute();
  await db.deleteFrom('images').where('id', '=', from).execute();
}
