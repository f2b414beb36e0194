import type { Kysely, Migration } from 'kysely';

/**
 * Runtime agents (issue 11): one-time registration tokens (hashed, expiring) and the agents that serve a
 * remote hybrid runtime, with what they said about themselves (version, AWS identity) and when they were
 * last seen. Their credential is an ordinary API token with scope `runtime:<name>` (api_tokens).
 */
export const agentRuntimeAgents: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('agent_registrations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('runtime', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('used_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('runtime_agents')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('runtime', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('aws_arn', 'text')
      .addColumn('registered_at', 'text', (c) => c.notNull())
      .addColumn('last_seen_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('runtime_agents_runtime')
      .on('runtime_agents')
      .columns(['runtime', 'last_seen_at'])
      .execute();
  },

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('runtime_agents').execute();
    await db.schema.dropTable('agent_registrations').execute();
  },
};
