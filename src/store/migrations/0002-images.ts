import { PostgresIntrospector, sql, type Kysely, type Migration } from 'kysely';

/**
 * Durable report jobs and the image records they produce (DESIGN: Image record, durable jobs).
 * `Kysely<any>` on purpose, as in 0001: this is the schema as it was at this point in history.
 *
 * Indexes are chosen for the image list at 1M images on PostgreSQL: every filter (repository, registry,
 * tag, branch, commit, issue, digest) has an index that finds its images, and the default order
 * (updated_at desc, id desc) is an index scan, so keyset pages cost the same on page 1 and page 20 000.
 */
export const images: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>): Promise<void> {
    // Prefix filters (repository `team/*`, commit SHA prefixes) are ranges [p, succ(p)); that is only a
    // prefix match under byte order. A PostgreSQL database created with a linguistic collation (en_US…)
    // ignores punctuation such as `/` and `-` at the first level, so those key columns use "C" there.
    // SQLite's default BINARY collation already is byte order.
    const pg = db.introspection instanceof PostgresIntrospector;
    const key = pg ? sql`text collate "C"` : sql`text`;
    // int8 on PostgreSQL; SQLite's INTEGER affinity is 64-bit already.
    const int8 = 'bigint';

    await db.schema
      .createTable('image_reports')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('status', 'text', (c) =>
        c.notNull().check(sql`status in ('queued', 'running', 'succeeded', 'failed')`),
      )
      .addColumn('input', 'text', (c) => c.notNull())
      .addColumn('runtime', 'text')
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('max_attempts', 'integer', (c) => c.notNull())
      .addColumn('lease_owner', 'text')
      .addColumn('lease_until', 'text')
      .addColumn('next_attempt_at', 'text')
      .addColumn('error_message', 'text')
      .addColumn('error_class', 'text')
      .addColumn('steps', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('result_image_id', 'text')
      .addColumn('result_digest', 'text')
      .addColumn('idempotency_key', 'text', (c) => c.unique())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    // Only unfinished jobs have next_attempt_at, so this index stays as small as the live queue however many
    // finished jobs pile up; `next_attempt_at <= now` implies NOT NULL, which both planners use to pick it.
    await db.schema
      .createIndex('image_reports_ready_idx')
      .on('image_reports')
      .columns(['next_attempt_at', 'id'])
      .where(sql.ref('next_attempt_at'), 'is not', null)
      .execute();
    // Counts by status and the per-status list (newest first).
    await db.schema
      .createIndex('image_reports_status_idx')
      .on('image_reports')
      .columns(['status', 'id'])
      .execute();

    await db.schema
      .createTable('images')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('registry', key, (c) => c.notNull())
      .addColumn('repository', key, (c) => c.notNull())
      .addColumn('digest', key, (c) => c.notNull())
      .addColumn('media_type', 'text', (c) => c.notNull())
      .addColumn('size', int8, (c) => c.notNull())
      .addColumn('registry_size', int8)
      .addColumn('pushed_at', 'text')
      .addColumn('created_at', 'text')
      .addColumn('registry_type', 'text', (c) => c.notNull())
      .addColumn('labels', 'text', (c) => c.notNull())
      .addColumn('annotations', 'text', (c) => c.notNull())
      .addColumn('config', 'text')
      .addColumn('scan', 'text')
      .addColumn('layers', 'text', (c) => c.notNull())
      .addColumn('first_seen_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('images_registry_repository_digest_key', ['registry', 'repository', 'digest'])
      .execute();
    await db.schema.createIndex('images_updated_idx').on('images').columns(['updated_at', 'id']).execute();
    await db.schema
      .createIndex('images_repository_updated_idx')
      .on('images')
      .columns(['repository', 'updated_at', 'id'])
      .execute();
    await db.schema
      .createIndex('images_registry_updated_idx')
      .on('images')
      .columns(['registry', 'updated_at', 'id'])
      .execute();
    await db.schema.createIndex('images_digest_idx').on('images').column('digest').execute();

    await db.schema
      .createTable('image_tags')
      .addColumn('image_id', 'text', (c) => c.notNull().references('images.id').onDelete('cascade'))
      .addColumn('tag', key, (c) => c.notNull())
      .addColumn('first_seen_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('image_tags_pkey', ['image_id', 'tag'])
      .execute();
    await db.schema.createIndex('image_tags_tag_idx').on('image_tags').columns(['tag', 'image_id']).execute();

    await db.schema
      .createTable('image_platforms')
      .addColumn('image_id', 'text', (c) => c.notNull().references('images.id').onDelete('cascade'))
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('os', 'text', (c) => c.notNull())
      .addColumn('architecture', 'text', (c) => c.notNull())
      .addColumn('variant', 'text')
      .addColumn('size', int8, (c) => c.notNull())
      .addColumn('media_type', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('image_platforms_pkey', ['image_id', 'position'])
      .execute();

    await db.schema
      .createTable('image_referrers')
      .addColumn('image_id', 'text', (c) => c.notNull().references('images.id').onDelete('cascade'))
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('artifact_type', 'text')
      .addColumn('media_type', 'text', (c) => c.notNull())
      .addColumn('tag', 'text')
      .addPrimaryKeyConstraint('image_referrers_pkey', ['image_id', 'digest'])
      .execute();

    await db.schema
      .createTable('builds')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('image_id', 'text', (c) => c.notNull().references('images.id').onDelete('cascade'))
      .addColumn('build_key', 'text', (c) => c.notNull())
      .addColumn('workflow_name', 'text')
      .addColumn('workflow_url', 'text')
      .addColumn('logs_url', 'text')
      .addColumn('ci_type', 'text')
      .addColumn('runtime', 'text', (c) => c.notNull())
      // The report that last confirmed this build; not part of its identity (see build_key).
      .addColumn('report_id', 'text', (c) => c.notNull())
      .addColumn('reported_at', 'text', (c) => c.notNull())
      .addColumn('git_provider', 'text')
      .addColumn('git_repo', 'text')
      .addColumn('git_branch', key)
      .addColumn('git_sha', key)
      .addUniqueConstraint('builds_image_build_key', ['image_id', 'build_key'])
      .execute();
    await db.schema
      .createIndex('builds_git_branch_idx')
      .on('builds')
      .columns(['git_branch', 'image_id'])
      .execute();
    await db.schema.createIndex('builds_git_sha_idx').on('builds').columns(['git_sha', 'image_id']).execute();

    await db.schema
      .createTable('commits')
      .addColumn('repo', 'text', (c) => c.notNull())
      .addColumn('sha', 'text', (c) => c.notNull())
      .addColumn('provider', 'text')
      .addColumn('message', 'text')
      .addColumn('author', 'text')
      .addColumn('committer', 'text')
      .addColumn('time', 'text')
      .addColumn('url', 'text')
      .addColumn('parents', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('commits_pkey', ['repo', 'sha'])
      .execute();

    await db.schema
      .createTable('pull_requests')
      .addColumn('repo', 'text', (c) => c.notNull())
      .addColumn('number', 'integer', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('author', 'text')
      .addColumn('merged_at', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('pull_requests_pkey', ['repo', 'number'])
      .execute();

    // A pull request belongs to the repository the commit was reported in (the base repository).
    await db.schema
      .createTable('commit_pull_requests')
      .addColumn('repo', 'text', (c) => c.notNull())
      .addColumn('sha', 'text', (c) => c.notNull())
      .addColumn('number', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('commit_pull_requests_pkey', ['repo', 'sha', 'number'])
      .addForeignKeyConstraint(
        'commit_pull_requests_commit_fk',
        ['repo', 'sha'],
        'commits',
        ['repo', 'sha'],
        (fk) => fk.onDelete('cascade'),
      )
      .addForeignKeyConstraint(
        'commit_pull_requests_pull_request_fk',
        ['repo', 'number'],
        'pull_requests',
        ['repo', 'number'],
        (fk) => fk.onDelete('cascade'),
      )
      .execute();

    await db.schema
      .createTable('issues')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('status_category', 'text')
      .addColumn('assignee', 'text')
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('build_issues')
      .addColumn('build_id', 'text', (c) => c.notNull().references('builds.id').onDelete('cascade'))
      .addColumn('issue_key', 'text', (c) => c.notNull().references('issues.key').onDelete('cascade'))
      .addPrimaryKeyConstraint('build_issues_pkey', ['build_id', 'issue_key'])
      .execute();
    await db.schema
      .createIndex('build_issues_issue_key_idx')
      .on('build_issues')
      .columns(['issue_key', 'build_id'])
      .execute();
  },

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>): Promise<void> {
    for (const table of [
      'build_issues',
      'issues',
      'commit_pull_requests',
      'pull_requests',
      'commits',
      'builds',
      'image_referrers',
      'image_platforms',
      'image_tags',
      'images',
      'image_reports',
    ]) {
      await db.schema.dropTable(table).execute();
    }
  },
};
