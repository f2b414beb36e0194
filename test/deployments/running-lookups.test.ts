import { beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentInterval } from '../../src/contract/deployments.js';
import { summarizeWithRunning, type Views } from '../../src/deployments/deployment-views.js';
import { useTestDatabase } from '../helpers/databases.js';
import { controlPlane, digest, HOST, type ControlPlane } from './harness.js';
import { enrichedImage } from '../helpers/enrichment-record.js';

// include=running costs store calls per distinct digest looked up together, not per open interval: a
// cluster (possibly hostile) running thousands of pods of two images costs a few statements.

const A = digest('a');
const B = digest('b');
const T0 = '2026-03-01T10:00:00.000Z';

describe('the running images of the applications list', () => {
  const database = useTestDatabase('sqlite');
  let cp: ControlPlane;
  beforeAll(async () => {
    cp = await controlPlane(database());
    await cp.images.recordEnrichment({
      image: enrichedImage({ repository: 'shop/web', digest: A, tags: ['1.0'] }),
      build: { runtime: 'edge', reportId: 'rep_1', reportedAt: T0, workflowName: 'ci' },
    });
  });

  it('looks up each distinct digest once, in one batch, whatever the number of intervals', async () => {
    const calls: Record<string, number> = {};
    const counted = <T extends object>(target: T): T =>
      new Proxy(target, {
        get(t, p, r) {
          const value = Reflect.get(t, p, r) as unknown;
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            calls[String(p)] = (calls[String(p)] ?? 0) + 1;
            return (value as (...a: unknown[]) => unknown).apply(t, args);
          };
        },
      });
    const views = { store: counted(cp.store), images: counted(cp.images) } as unknown as Views;
    const open: DeploymentInterval[] = Array.from({ length: 200 }, (_, n) => ({
      id: `dpl_${n}`,
      runtime: 'edge',
      namespace: 'prod',
      workloadKind: 'Deployment',
      workloadName: `w${n % 20}`,
      application: `app${n % 5}`,
      registry: HOST,
      repository: 'shop/web',
      digest: n % 2 ? A : B,
      image: `${HOST}/shop/web`,
      replicas: 1,
      firstSeenAt: T0,
      lastSeenAt: T0,
    }));
    const items = await summarizeWithRunning(views, open);
    expect(items.flatMap((i) => i.running ?? [])).toHaveLength(200);
    const withTags = items.flatMap((i) => i.running ?? []).filter((r) => r.tags.includes('1.0'));
    expect(withTags).toHaveLength(100);
    // One batched lookup of the two digests, one image detail (B has no record).
    expect(calls).toEqual({ runningLookups: 1, get: 1 });
  });
});
