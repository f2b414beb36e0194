import type { Kysely, Migration } from 'kysely';

/**
 * The audit list is read newest first (by id) filtered by action or by actor: an index for each, so a
 * long trail is not scanned whole for one admin's or one action's page.
 */
export const auditFilters: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createIndex('audit_events_action_idx')
      .on('audit_events')
      .columns(['action', 'id'])
      .execute();
    await db.schema
      .createIndex('audit_events_actor_idx')
      .on('audit_events')
      .columns(['actor_token_id', 'id'])
      .execute();
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropIndex('audit_events_actor_idx').execute();
    await db.schema.dropIndex('audit_events_action_idx').execute();
  },
};
