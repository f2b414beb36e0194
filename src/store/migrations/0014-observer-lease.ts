import type { Kysely, Migration } from 'kysely';

/**
 * The runtime's observation lease (issue 13: replicas of one agent each run an observer): when the control
 * plane last applied a batch of the holder, on its own clock. Null: released (or never held), so any
 * observer of the runtime may take over.
 */
export const observerLease: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('deployment_observers').addColumn('heard_at', 'text').execute();
  },

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('deployment_observers').dropColumn('heard_at').execute();
  },
};
