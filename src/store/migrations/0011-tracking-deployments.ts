import { PostgresIntrospector, sql, type Kysely, type Migration } from 'kysely';

/**
 * Deployment intervals (issue 13): per image digest, where it ran — runtime, namespace, workload, Argo CD
 * application — from when (earliest running container start) to when (the last container gone). Plus the
 * per-runtime observer cursor (replays are refused by sequence) and the digests found running that nobody
 * reported (queued for enrichment, shown as "discovered in cluster").
 */
export const trackingDeployments: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>): Promise<void> {
    const pg = db.introspection instanceof PostgresIntrospector;
    const key = pg ? sql`text collate "C"` : sql`text`;
    await db.schema
      .createTable('deployment_intervals')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('runtime', key, (c) => c.notNull())
      .addColumn('namespace', key, (c) => c.notNull())
      .addColumn('workload_kind', key, (c) => c.notNull())
      .addColumn('workload_name', key, (c) => c.notNull())
      .addColumn('application', key, (c) => c.notNull())
      .addColumn('registry', key, (c) => c.notNull())
      .addColumn('repository', key, (c) => c.notNull())
      .addColumn('digest', key, (c) => c.notNull())
      .addColumn('image', 'text')
      .addColumn('replicas', 'integer', (c) => c.notNull())
      .addColumn('first_seen_at', 'text', (c) => c.notNull())
      .addColumn('last_seen_at', 'text', (c) => c.notNull())
      .addColumn('ended_at', 'text')
      /** JSON ApplicationFacts, or null. */
      .addColumn('app', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    // At most one open interval per key, whatever the concurrency (two replicas applying one batch).
    await db.schema
      .createIndex('deployment_intervals_open_key')
      .on('deployment_intervals')
      .columns([
        'runtime',
        'namespace',
        'workload_kind',
        'workload_name',
        'application',
        'registry',
        'repository',
        'digest',
      ])
      .unique()
      .where(sql.ref('ended_at'), 'is', null)
      .execute();
    // The history of a key (reopen check) and of an image (detail page).
    await db.schema
      .createIndex('deployment_intervals_image_idx')
      .on('deployment_intervals')
      .columns(['digest', 'registry', 'repository', 'first_seen_at'])
      .execute();
    await db.schema
      .createIndex('deployment_intervals_app_idx')
      .on('deployment_intervals')
      .columns(['application', 'first_seen_at'])
      .execute();
    await db.schema
      .createIndex('deployment_intervals_runtime_idx')
      .on('deployment_intervals')
      .columns(['runtime', 'first_seen_at', 'id'])
      .execute();
    // A pod running a platform image of a reported index is found through the index's platforms.
    await db.schema
      .createIndex('image_platforms_digest_idx')
      .on('image_platforms')
      .columns(['digest', 'image_id'])
      .execute();

    await db.schema
      .createTable('deployment_observers')
      .addColumn('runtime', 'text', (c) => c.primaryKey())
      .addColumn('observer_id', 'text', (c) => c.notNull())
      .addColumn('sequence', 'bigint', (c) => c.notNull())
      .addColumn('last_batch_at', 'text', (c) => c.notNull())
      .addColumn('last_full_at', 'text')
      .execute();

    await db.schema
      .createTable('discovered_images')
      .addColumn('registry', key, (c) => c.notNull())
      .addColumn('repository', key, (c) => c.notNull())
      .addColumn('digest', key, (c) => c.notNull())
      .addColumn('runtime', 'text', (c) => c.notNull())
      .addColumn('integration', 'text')
      .addColumn('report_id', 'text')
      /** Why it could not be queued (no integration serves the host), or null. */
      .addColumn('problem', 'text')
      .addColumn('discovered_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('discovered_images_pkey', ['registry', 'repository', 'digest'])
      .execute();
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('discovered_images').execute();
    await db.schema.dropTable('deployment_observers').execute();
    await db.schema.dropIndex('image_platforms_digest_idx').execute();
    await db.schema.dropTable('deployment_intervals').execute();
  },
};
