import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApplicationList } from '../../src/contract/deployments.js';
import { eachDatabase, useTestDatabase } from '../helpers/databases.js';
import { controlPlane, digest, HOST, type ControlPlane } from './harness.js';
import { enrichedImage } from '../helpers/enrichment-record.js';

// GET /deployments/applications?include=running: the Applications page in one request — each application
// (or workload without one) with what it runs now, the same running images its own view answers.

const A = digest('a');
const B = digest('b');
const T0 = '2026-03-01T10:00:00.000Z';
const T1 = '2026-03-01T11:00:00.000Z';

describe.each(eachDatabase())('the applications list with what each runs (%s)', (engine) => {
  const database = useTestDatabase(engine);
  let cp: ControlPlane;
  beforeAll(async () => {
    cp = await controlPlane(database());
  });
  beforeEach(async () => {
    for (const t of ['deployment_intervals', 'deployment_observers'] as const)
      await database().db.deleteFrom(t).execute();
  });

  it('includes each application’s running images, as its own view answers them', async () => {
    const { imageId } = await cp.images.recordEnrichment({
      image: enrichedImage({ repository: 'shop/web', digest: A, tags: ['1.0'] }),
      build: { runtime: 'edge', reportId: 'rep_1', reportedAt: T0, workflowName: 'ci' },
      git: { repo: 'acme/shop', branch: 'main', sha: '1'.repeat(40), time: T0 },
    });
    const g = (workloadName: string, application: string, d: string) => ({
      namespace: 'prod',
      workloadKind: 'Deployment',
      workloadName,
      application,
      registry: HOST,
      repository: 'shop/web',
      digest: d,
      replicas: 2,
      firstStartedAt: T0,
    });
    const posted = await cp.call('POST', '/runtimes/edge/observations', {
      observerId: 'obs-1',
      sequence: 1,
      observedAt: T1,
      kind: 'full',
      last: true,
      upserts: [g('web', 'shop', A), g('api', 'shop', B), g('cron', '', A)],
    });
    expect(posted.status).toBe(200);

    const plain = (await cp.call('GET', '/deployments/applications')).json;
    expect(plain.items.map((i: any) => [i.application, i.running])).toEqual([
      ['prod/Deployment/cron', undefined],
      ['shop', undefined],
    ]);
    const res = await cp.call('GET', '/deployments/applications?include=running');
    expect(res.status).toBe(200);
    const list = ApplicationList.parse(res.json);
    const shop = list.items.find((i) => i.application === 'shop')!;
    expect(shop.running?.map((r) => [r.interval.digest, r.tags, r.git?.sha, r.interval.imageId])).toEqual(
      expect.arrayContaining([
        [A, ['1.0'], '1'.repeat(40), imageId],
        [B, [], undefined, undefined],
      ]),
    );
    const view = (await cp.call('GET', '/deployments/applications/shop')).json;
    expect(shop.running).toEqual(expect.arrayContaining(view.running));
    expect(shop.running).toHaveLength(view.running.length);
    const cron = list.items.find((i) => i.application === 'prod/Deployment/cron')!;
    expect(cron.running?.map((r) => r.interval.workloadName)).toEqual(['cron']);
    // The workload's own row opens like an application's (the page links it by that name).
    const own = await cp.call(
      'GET',
      `/deployments/applications/${encodeURIComponent('prod/Deployment/cron')}`,
    );
    expect(own.status).toBe(200);
    expect(own.json.running.map((r: any) => r.interval.workloadName)).toEqual(['cron']);
    expect((await cp.call('GET', '/deployments/applications?include=everything')).status).toBe(400);
  });
});
