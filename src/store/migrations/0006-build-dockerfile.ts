import type { Kysely, Migration } from 'kysely';

/**
 * The Dockerfile a build was made from (Codefresh's CF_DOCKERFILE_CONTENT), shown on the image's
 * Dockerfile tab. Nullable, added in place: no existing row changes. At most 64 KiB (checked at intake).
 */
export const buildDockerfile: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('builds').addColumn('dockerfile', 'text').execute();
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('builds').dropColumn('dockerfile').execute();
  },
};
