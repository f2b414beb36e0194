import { describe, expect, it } from 'vitest';
import { migrateToLatest, migrations } from '../../src/store/migrations/index.js';
import { eachDatabase, useTestDatabase } from '../helpers/databases.js';

const HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const D = `sha256:${'d'.repeat(64)}`;
const AT = '2026-01-01T00:00:00.000Z';

const before = Object.fromEntries(
  Object.entries(migrations).filter(([name]) => name < '0003-reports-and-identity'),
);

function imageRow(id: string, registry: string, firstSeen: string) {
  return {
    id,
    registry,
    repository: 'team/app',
    digest: D,
    media_type: 'application/vnd.oci.image.manifest.v1+json',
    size: 1,
    registry_size: null,
    pushed_at: null,
    created_at: null,
    registry_type: 'registry.ecr',
    labels: '{}',
    annotations: '{}',
    config: null,
    scan: null,
    layers: '[]',
    first_seen_at: firstSeen,
    updated_at: firstSeen,
  };
}

function buildRow(id: string, imageId: string, key: string) {
  return {
    id,
    image_id: imageId,
    build_key: key,
    workflow_name: null,
    workflow_url: null,
    logs_url: null,
    ci_type: null,
    runtime: 'local',
    report_id: `rep_${id}`,
    reported_at: AT,
    git_provider: null,
    git_repo: null,
    git_branch: null,
    git_sha: null,
  };
}

describe.each(eachDatabase())('migration 0003 on %s', (engine) => {
  const database = useTestDatabase(engine, { migrate: false });

  it('merges the records one image got under several spellings of its registry, and backfills report images', async () => {
    const { db } = database();
    await migrateToLatest(db, before);
    await db
      .insertInto('images')
      .values([
        imageRow('img_1', HOST, '2026-01-01T00:00:01.000Z'),
        imageRow('img_2', HOST.toUpperCase(), '2026-01-01T00:00:02.000Z'),
        imageRow('img_3', `${HOST}:443`, '2026-01-01T00:00:03.000Z'),
        { ...imageRow('img_4', 'index.docker.io', AT), repository: 'library/nginx' },
      ])
      .execute();
    await db
      .insertInto('image_tags')
      .values([
        { image_id: 'img_1', tag: 'v1', first_seen_at: AT },
        { image_id: 'img_2', tag: 'v1', first_seen_at: AT },
        { image_id: 'img_2', tag: 'v2', first_seen_at: AT },
        { image_id: 'img_3', tag: 'v3', first_seen_at: AT },
      ])
      .execute();
    await db
      .insertInto('builds')
      .values([buildRow('b1', 'img_1', 'k1'), buildRow('b2', 'img_2', 'k1'), buildRow('b3', 'img_3', 'k3')])
      .execute();
    await db
      .insertInto('image_reports')
      .values({
        id: 'rep_old',
        status: 'succeeded',
        input: JSON.stringify({ image: `${HOST}:443/team/app:v3` }),
        runtime: 'local',
        attempts: 1,
        max_attempts: 5,
        lease_owner: null,
        lease_until: null,
        next_attempt_at: null,
        error_message: null,
        error_class: null,
        steps: '[]',
        result_image_id: 'img_3',
        result_digest: D,
        idempotency_key: null,
        created_at: AT,
        updated_at: AT,
      } as never)
      .execute();

    await migrateToLatest(db);

    const images = await db.selectFrom('images').select(['id', 'registry']).orderBy('id').execute();
    expect(images).toEqual([
      { id: 'img_1', registry: HOST },
      { id: 'img_4', registry: 'docker.io' },
    ]);
    const tags = await db.selectFrom('image_tags').select(['image_id', 'tag']).orderBy('tag').execute();
    expect(tags).toEqual([
      { image_id: 'img_1', tag: 'v1' },
      { image_id: 'img_1', tag: 'v2' },
      { image_id: 'img_1', tag: 'v3' },
    ]);
    const builds = await db.selectFrom('builds').select(['id', 'image_id']).orderBy('id').execute();
    expect(builds).toEqual([
      { id: 'b1', image_id: 'img_1' },
      { id: 'b3', image_id: 'img_1' },
    ]);
    const report = await db.selectFrom('image_reports').selectAll().executeTakeFirstOrThrow();
    expect(report).toMatchObject({ image: `${HOST}:443/team/app:v3`, result_image_id: 'img_1' });
  });
});
