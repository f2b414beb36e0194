import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eachDatabase, useTestDatabase } from '../helpers/databases.js';
import { controlPlane, digest, HOST, type ControlPlane } from './harness.js';

// POST /api/v1/runtimes/{runtime}/observations: only that runtime's token (or admin) may report; a replayed
// batch changes nothing.

const A = digest('a');
const T0 = '2026-03-01T10:00:00.000Z';
const T1 = '2026-03-01T11:00:00.000Z';

describe.each(eachDatabase())('observation intake (%s)', (engine) => {
  const database = useTestDatabase(engine);
  let cp: ControlPlane;
  let edge: string;
  beforeAll(async () => {
    cp = await controlPlane(database());
    edge = await cp.token(['runtime:edge']);
  });
  beforeEach(async () => {
    for (const t of ['deployment_intervals', 'deployment_observers'] as const)
      await database().db.deleteFrom(t).execute();
  });
  const intervals = async () => (await cp.call('GET', '/deployments')).json.items as unknown[];

  it('lets a runtime token report only its own runtime, and ignores a replayed batch', async () => {
    const other = await cp.token(['runtime:other']);
    const report = await cp.token(['report']);
    const batch = {
      observerId: 'obs-test',
      sequence: 1,
      observedAt: T1,
      kind: 'delta',
      upserts: [
        {
          namespace: 'prod',
          workloadKind: 'Deployment',
          workloadName: 'web',
          application: '',
          registry: HOST,
          repository: 'shop/web',
          digest: A,
          replicas: 1,
          firstStartedAt: T0,
        },
      ],
    };
    for (const bearer of [other, report]) {
      const res = await cp.call('POST', '/runtimes/edge/observations', batch, bearer);
      expect(res.status).toBe(403);
      expect(res.json.error.message).toContain('runtime:edge');
    }
    expect(await intervals()).toEqual([]);
    const first = await cp.call('POST', '/runtimes/edge/observations', batch, edge);
    expect(first).toMatchObject({ status: 200, json: { applied: true, opened: 1 } });
    const again = await cp.call('POST', '/runtimes/edge/observations', batch, edge);
    expect(again).toMatchObject({ status: 200, json: { applied: false, duplicate: true, opened: 0 } });
    expect(await intervals()).toHaveLength(1);
    // Admin may report for any runtime (tools, tests); an unknown runtime is a 404; a bad batch a 400.
    expect(
      (await cp.call('POST', '/runtimes/other/observations', { ...batch, observerId: 'obs-admin' })).status,
    ).toBe(200);
    expect((await cp.call('POST', '/runtimes/nope/observations', batch)).status).toBe(404);
    const bad = await cp.call(
      'POST',
      '/runtimes/edge/observations',
      { ...batch, sequence: 2, upserts: [{ digest: 'latest' }] },
      edge,
    );
    expect(bad.status).toBe(400);
  });
});
