import type { Kysely, Migration } from 'kysely';

/**
 * When an agent said it was stopping (SIGTERM: its jobs finished or handed back). Null while it is serving;
 * a claim clears it. Lets `runtime show` and a waiting connection test tell a stopped agent from one that
 * is only quiet, at once rather than after the "connected" window.
 */
export const agentLeft: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('runtime_agents').addColumn('left_at', 'text').execute();
  },

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('runtime_agents').dropColumn('left_at').execute();
  },
};
