import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Idempotency keys were global: one token could read or pre-empt another scope's report by its key. Keys now
 * live in a scope (the grant that accepted the report and its runtime, e.g. `runtime:edge@edge`), with a
 * hash of the report's content, so a reused key with other content is refused. New columns, because the
 * old `idempotency_key` is UNIQUE on its own and SQLite cannot drop that constraint in place; the old
 * column keeps the keys of reports accepted before this migration (expand now, contract later) and is no
 * longer written.
 */
export const scopedIdempotency: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('image_reports').addColumn('idem_scope', 'text').execute();
    await db.schema.alterTable('image_reports').addColumn('idem_key', 'text').execute();
    await db.schema.alterTable('image_reports').addColumn('input_hash', 'text').execute();
    // Rows without a key have nulls, which never conflict; ON CONFLICT (idem_scope, idem_key) needs a
    // plain (not partial) unique index on both engines.
    await db.schema
      .createIndex('image_reports_idem_idx')
      .on('image_reports')
      .columns(['idem_scope', 'idem_key'])
      .unique()
      .execute();
    // Pre-migration keys stay answerable, in a scope no new report is given.
    await sql`update image_reports set idem_scope = 'legacy', idem_key = idempotency_key where idempotency_key is not null`.execute(
      db,
    );
  },

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropIndex('image_reports_idem_idx').execute();
    await db.schema.alterTable('image_reports').dropColumn('input_hash').execute();
    await db.schema.alterTable('image_reports').dropColumn('idem_key').execute();
    await db.schema.alterTable('image_reports').dropColumn('idem_scope').execute();
  },
};
