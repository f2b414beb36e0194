import type { Kysely, Migration } from 'kysely';

/**
 * Age recipients pinned outside Git: the control plane's and each runtime's public key, set only by
 * authenticated calls. Secrets are sealed for these, never for what a Git writer put in the repository.
 */
export const recipientPins: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('recipient_pins')
      // `control-plane` or `runtime/<name>`.
      .addColumn('owner', 'text', (c) => c.primaryKey())
      .addColumn('recipient', 'text', (c) => c.notNull())
      // How it was set: bootstrap (own key), admin (runtime add), registration, trust-on-first-use.
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('pinned_at', 'text', (c) => c.notNull())
      .execute();
  },

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('recipient_pins').execute();
  },
};
