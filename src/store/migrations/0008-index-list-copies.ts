import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The image list's tag, branch and issue filters read their first page from one index each, newest first,
 * instead of walking `images(updated_at, id)` and probing every image (ADR 0005; docs/benchmarks.md). So each
 * image's `updated_at` is copied next to its tags, builds and build-issue links (`image_updated_at`), and
 * build_issues learns its build's `image_id`; the image store rewrites the copies on every image upsert.
 *
 * The columns default to '' only because SQLite cannot add a NOT NULL column without a default; every row is
 * backfilled here and every writer sets them. The new indexes start with the filtered value, so they also
 * serve the plain equality lookups the indexes they replace served.
 */
export const indexListCopies: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>): Promise<void> {
    const copy = (table: string, column: string) =>
      db.schema
        .alterTable(table)
        .addColumn(column, 'text', (c) => c.notNull().defaultTo(''))
        .execute();
    await copy('image_tags', 'image_updated_at');
    await copy('builds', 'image_updated_at');
    await copy('build_issues', 'image_id');
    await copy('build_issues', 'image_updated_at');

    // UPDATE … FROM: PostgreSQL, and SQLite since 3.33 (better-sqlite3 bundles a newer one).
    await sql`update image_tags set image_updated_at = i.updated_at
      from images i where i.id = image_tags.image_id`.execute(db);
    await sql`update builds set image_updated_at = i.updated_at
      from images i where i.id = builds.image_id`.execute(db);
    await sql`update build_issues set image_id = b.image_id, image_updated_at = i.updated_at
      from builds b join images i on i.id = b.image_id where b.id = build_issues.build_id`.execute(db);

    await db.schema.dropIndex('image_tags_tag_idx').execute();
    await db.schema.dropIndex('builds_git_branch_idx').execute();
    await db.schema.dropIndex('build_issues_issue_key_idx').execute();
    const index = (name: string, table: string, first: string) =>
      db.schema.createIndex(name).on(table).columns([first, 'image_updated_at', 'image_id']).execute();
    await index('image_tags_tag_updated_idx', 'image_tags', 'tag');
    await index('builds_git_branch_updated_idx', 'builds', 'git_branch');
    await index('build_issues_issue_updated_idx', 'build_issues', 'issue_key');
  },

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropIndex('build_issues_issue_updated_idx').execute();
    await db.schema.dropIndex('builds_git_branch_updated_idx').execute();
    await db.schema.dropIndex('image_tags_tag_updated_idx').execute();
    await db.schema
      .createIndex('build_issues_issue_key_idx')
      .on('build_issues')
      .columns(['issue_key', 'build_id'])
      .execute();
    await db.schema
      .createIndex('builds_git_branch_idx')
      .on('builds')
      .columns(['git_branch', 'image_id'])
      .execute();
    await db.schema.createIndex('image_tags_tag_idx').on('image_tags').columns(['tag', 'image_id']).execute();
    await db.schema.alterTable('build_issues').dropColumn('image_updated_at').execute();
    await db.schema.alterTable('build_issues').dropColumn('image_id').execute();
    await db.schema.alterTable('builds').dropColumn('image_updated_at').execute();
    await db.schema.alterTable('image_tags').dropColumn('image_updated_at').execute();
  },
};
