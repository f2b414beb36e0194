import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EcrSeeder, HOST } from '../helpers/ecr-seed.js';
import { bareRemote } from '../helpers/git.js';
import { addEcrKeyIntegration, api, cli, startImagetrail, type ServerHandle } from '../helpers/imagetrail.js';
import { createEcrIamScenario, startMoto, type EcrIamScenario, type MotoPeer } from '../peers/moto.js';
import type { PushedImage } from '../peers/images.js';
import { startRegistry, type RegistryPeer } from '../peers/registry.js';
import { KubeConfig } from '@kubernetes/client-node';
import { startDeploymentObserver } from '../../src/deployments/observer/observer.js';
import { cluster, eventually, PATHS, pod, replicaSet, deployment } from './harness.js';

// Issue 13, 3.: a digest running in the cluster that nobody reported is enriched through the ECR
// integration of the runtime that saw it (the server's in-process `local` runtime here; moto + distribution
// as ECR) and marked "discovered in cluster".

let moto: MotoPeer;
let registry: RegistryPeer;
let s: EcrIamScenario;
let remote: Awaited<ReturnType<typeof bareRemote>>;
let server: ServerHandle;
let found: PushedImage;

beforeAll(async () => {
  [moto, registry, remote] = await Promise.all([startMoto(), startRegistry(), bareRemote()]);
  s = await createEcrIamScenario(moto);
  found = await new EcrSeeder(moto, registry).image('team/found', 'v7', { format: 'oci' });
  await moto.enableIamAuth();
  server = await startImagetrail({
    configRepo: remote.url,
    env: { IMAGETRAIL_REPORT_RETRY_BASE_MS: '100', IMAGETRAIL_REPORT_POLL_MS: '200' },
  });
  const endpoints = [
    '--api-endpoint',
    moto.endpoint,
    '--sts-endpoint',
    moto.endpoint,
    '--registry-endpoint',
    registry.url,
  ];
  const add = await addEcrKeyIntegration(server, 'ecr', s.users.ro, endpoints);
  expect(add.code, add.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await Promise.all([moto?.stop(), registry?.stop(), remote?.cleanup()]);
});

describe('images nobody reported', () => {
  it('are enriched through the runtime’s ECR integration and marked discovered in cluster', async () => {
    const tok = await cli(server, [
      'token',
      'create',
      'local-observer',
      '--scope',
      'runtime:local',
      '--json',
    ]);
    expect(tok.code, tok.stderr).toBe(0);
    const token = JSON.parse(tok.stdout).token as string;

    const k = await cluster();
    k.api.apply(PATHS.deployments, deployment('prod', 'found'));
    k.api.apply(PATHS.replicasets, replicaSet('prod', 'found-1', 'found'));
    k.api.apply(
      PATHS.pods,
      pod(
        'prod',
        'found-1-a',
        { kind: 'ReplicaSet', name: 'found-1' },
        { repository: 'team/found', digest: found.digest, tag: 'v7' },
        '2026-03-02T08:00:00.000Z',
      ),
    );
    const kc = new KubeConfig();
    kc.loadFromFile(k.kubeconfig);
    const controller = new AbortController();
    const results: any[] = [];
    const observer = startDeploymentObserver({
      kubeConfig: kc,
      signal: controller.signal,
      flushMs: 20,
      send: async (batch) => {
        const res = await api(server, 'POST', '/api/v1/runtimes/local/observations', batch, token);
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.text}`);
        results.push(res.json);
      },
    });
    try {
      await eventually(async () => expect(results.some((r) => r.discovered === 1)).toBe(true), 'discovery');
      const image = await eventually(
        async () => {
          const list = await api(server, 'GET', `/api/v1/images?digest=${found.digest}`);
          expect(list.json.items).toHaveLength(1);
          return list.json.items[0];
        },
        'the discovered image enriched',
        60_000,
      );
      expect(image).toMatchObject({ registry: HOST, repository: 'team/found', tags: ['v7'], deployedIn: 1 });
      const detail = (await api(server, 'GET', `/api/v1/images/${image.id}`)).json;
      expect(detail.deployments.discoveredInCluster).toMatchObject({ runtime: 'local' });
      expect(detail.deployments.running[0]).toMatchObject({
        runtime: 'local',
        workloadName: 'found',
        namespace: 'prod',
      });
      expect(detail.builds[0]).toMatchObject({ ciType: 'discovered-in-cluster', runtime: 'local' });
      // The CLI shows the same: where it runs, and the image among those deployed.
      const listed = await cli(server, ['deployments', 'list', '--active', '--json']);
      expect(listed.code, listed.stderr).toBe(0);
      expect(JSON.parse(listed.stdout).items).toMatchObject([
        { digest: found.digest, workloadName: 'found', replicas: 1 },
      ]);
      const table = await cli(server, ['deployments', 'list']);
      expect(table.stdout).toContain('local/prod/Deployment/found');
      const deployed = await cli(server, ['images', 'list', '--deployed', '--namespace', 'prod', '--json']);
      expect(JSON.parse(deployed.stdout).items.map((i: { id: string }) => i.id)).toEqual([image.id]);
      // Seen again (a resync): not queued twice.
      observer.resync();
      await eventually(
        async () => expect(results.filter((r) => r.applied).length).toBeGreaterThan(1),
        'resync',
      );
      expect(results.reduce((n, r) => n + r.discovered, 0)).toBe(1);
    } finally {
      controller.abort();
      await observer.stopped;
      await k.stop();
    }
  }, 120_000);
});
