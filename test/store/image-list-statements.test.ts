import type { KyselyPlugin } from 'kysely';
import { describe, expect, it } from 'vitest';
import { SqlImageStore } from '../../src/store/sql-image-store.js';
import { eachDatabase, useTestDatabase } from '../helpers/databases.js';
import { digest, enrichmentRecord } from '../helpers/enrichment-record.js';

const hex = (n: number, len: number) => n.toString(16).padStart(len, '0');

/**
 * Counts the statements executed through the Kysely instance it is attached to: by their results, since
 * `transformQuery` also sees every subquery a builder turns into a node.
 */
function counter(): KyselyPlugin & { count: number } {
  const c = {
    count: 0,
    transformQuery: (args: Parameters<KyselyPlugin['transformQuery']>[0]) => args.node,
    transformResult: (args: Parameters<KyselyPlugin['transformResult']>[0]) => {
      c.count++;
      return Promise.resolve(args.result);
    },
  };
  return c;
}

// A list request's cost on a busy PostgreSQL host follows its round trips (docs/benchmarks.md, ADR 0032):
// one page of any size, with every image's tags, platforms, builds, issues and "deployed in N", is one statement.
describe.each(eachDatabase())('the image list (%s)', (engine) => {
  const database = useTestDatabase(engine);

  it('reads a page, its images’ children and where they run in one statement, whatever the filter', async () => {
    const { db } = database();
    const writer = new SqlImageStore({ db, dialect: engine });
    for (let n = 1; n <= 12; n++) {
      await writer.recordEnrichment(
        enrichmentRecord(
          { runtime: 'local', reportId: `rep_${n}`, reportedAt: '2025-01-01T00:00:00.000Z' },
          { digest: digest(n), tags: [`v${n}`, 'latest'], size: n },
          {
            git: { repo: 'acme/app', branch: 'main', sha: hex(n, 40) },
            issues: [
              {
                key: `PROJ-${n}`,
                title: 'T',
                status: 'Done',
                url: `https://jira.example.com/browse/PROJ-${n}`,
              },
            ],
          },
        ),
      );
    }
    // Image 12 runs in two places (one through the arm64 manifest of its index), so the count is non-trivial.
    const { id: runningId } = await writer.list({ limit: 1 }).then((p) => p.items[0] ?? { id: '' });
    await db
      .insertInto('image_platforms')
      .values({
        image_id: runningId,
        position: 0,
        digest: digest(1012),
        os: 'linux',
        architecture: 'arm64',
        variant: null,
        size: 1,
        media_type: 'application/vnd.oci.image.manifest.v1+json',
      })
      .execute();
    for (const [workload, running] of [
      ['web', digest(12)],
      ['worker', digest(1012)],
    ] as const)
      await db
        .insertInto('deployment_intervals')
        .values({
          id: `dep_${workload}`,
          runtime: 'edge',
          namespace: 'prod',
          workload_kind: 'Deployment',
          workload_name: workload,
          application: 'shop',
          registry: '123456789012.dkr.ecr.us-east-1.amazonaws.com',
          repository: 'team/app',
          digest: running,
          image: null,
          replicas: 1,
          first_seen_at: '2025-01-01T00:00:00.000Z',
          last_seen_at: '2025-01-01T00:00:00.000Z',
          ended_at: null,
          app: null,
          updated_at: '2025-01-01T00:00:00.000Z',
        })
        .execute();
    const plugin = counter();
    const store = new SqlImageStore({ db: db.withPlugin(plugin), dialect: engine });

    const page = await store.list({ limit: 5 });
    expect(page.items.map((i) => i.issues)).toEqual([12, 11, 10, 9, 8].map((n) => [`PROJ-${n}`]));
    expect(page.items[0]?.git).toEqual({ repo: 'acme/app', branch: 'main', sha: hex(12, 40) });
    expect(page.items.map((i) => i.deployedIn)).toEqual([2, 0, 0, 0, 0]);
    expect(plugin.count).toBe(1);

    plugin.count = 0;
    const next = await store.list({ limit: 5, tag: 'latest', cursor: page.nextCursor });
    expect(next.items.map((i) => i.digest)).toEqual([7, 6, 5, 4, 3].map(digest));
    expect(plugin.count).toBe(1);
  });
});
