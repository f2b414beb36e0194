import type { Kysely, Migration } from 'kysely';

/**
 * Agent tasks (issue 11): connection tests and inspections on a remote hybrid runtime, queued for its
 * agents and awaited by the caller. The payload holds sealed secrets only; the result holds checks or
 * registry facts, never a secret.
 */
export const agentTasks: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('agent_tasks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('runtime', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('owner', 'text')
      .addColumn('lease_until', 'text')
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('result', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('agent_tasks_claim')
      .on('agent_tasks')
      .columns(['runtime', 'status', 'created_at'])
      .execute();
  },

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('agent_tasks').execute();
  },
};
