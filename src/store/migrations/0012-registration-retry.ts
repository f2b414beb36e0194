import type { Kysely, Migration } from 'kysely';

/**
 * Idempotent agent registration: who used a registration token (agent id and age recipient) and the
 * credential it was given, so that the same agent retrying after a lost answer gets a fresh credential
 * (the first one revoked) instead of "already used" forever. Nullable: rows used before have none.
 */
export const registrationRetry: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('agent_registrations').addColumn('used_by_agent', 'text').execute();
    await db.schema.alterTable('agent_registrations').addColumn('used_by_recipient', 'text').execute();
    await db.schema.alterTable('agent_registrations').addColumn('credential_id', 'text').execute();
  },

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('agent_registrations').dropColumn('credential_id').execute();
    await db.schema.alterTable('agent_registrations').dropColumn('used_by_recipient').execute();
    await db.schema.alterTable('agent_registrations').dropColumn('used_by_agent').execute();
  },
};
