import type { Kysely, Migration } from 'kysely';

/**
 * Dashboard single sign-on (OpenID Connect): pending sign-ins and signed-in sessions live in the store, so
 * that every replica behind a load balancer accepts them. Only hashes of the browser-held ids are stored.
 * The audit trail learns a second kind of actor: a person signed in through SSO (no API token).
 */
export const ssoSessions: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('sso_logins')
      // SHA-256 of the random value in the browser's short-lived sign-in cookie.
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('nonce', 'text', (c) => c.notNull())
      // The PKCE verifier: single-use, minutes-long, useless without the code the provider gives the browser.
      .addColumn('code_verifier', 'text', (c) => c.notNull())
      .addColumn('return_to', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('sso_sessions')
      // SHA-256 of the session cookie's value; the value itself is only in the browser.
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      // SHA-256 of the session's CSRF (synchronizer) token.
      .addColumn('csrf_hash', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sso_sessions_expires_idx').on('sso_sessions').column('expires_at').execute();
    await db.schema.createIndex('sso_logins_expires_idx').on('sso_logins').column('expires_at').execute();
    await db.schema.alterTable('audit_events').addColumn('actor_user_id', 'text').execute();
    await db.schema.alterTable('audit_events').addColumn('actor_user_name', 'text').execute();
  },

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('audit_events').dropColumn('actor_user_name').execute();
    await db.schema.alterTable('audit_events').dropColumn('actor_user_id').execute();
    await db.schema.dropTable('sso_sessions').execute();
    await db.schema.dropTable('sso_logins').execute();
  },
};
