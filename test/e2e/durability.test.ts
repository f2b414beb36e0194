import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEcrIamScenario, startMoto, type EcrIamScenario, type MotoPeer } from '../peers/moto.js';
import { startRegistry, type RegistryPeer } from '../peers/registry.js';
import { startFaultProxy, type FaultProxy } from '../peers/fault-proxy.js';
import type { PushedImage } from '../peers/images.js';
import { addEcrKeyIntegration, api, startImagetrail, type ServerHandle } from '../helpers/imagetrail.js';
import { bareRemote } from '../helpers/git.js';
import { EcrSeeder, HOST } from '../helpers/ecr-seed.js';

// A server killed with SIGKILL while enriching loses no accepted report: after a restart on the same data
// directory, every report is enriched, once. The fault proxy in front of moto holds ECR calls so that the
// kill lands mid-job.

let moto: MotoPeer;
let registry: RegistryPeer;
let proxy: FaultProxy;
let s: EcrIamScenario;
let remote: Awaited<ReturnType<typeof bareRemote>>;
let dataDir: string;
const images: PushedImage[] = [];

const SERVER_ENV = {
  IMAGETRAIL_REPORT_LEASE_MS: '1500',
  IMAGETRAIL_REPORT_POLL_MS: '200',
  IMAGETRAIL_REPORT_RETRY_BASE_MS: '100',
  IMAGETRAIL_AWS_TIMEOUT_MS: '20000',
};

async function waitUntil<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  [moto, registry, remote] = await Promise.all([startMoto(), startRegistry(), bareRemote()]);
  s = await createEcrIamScenario(moto);
  const seed = new EcrSeeder(moto, registry);
  for (let i = 0; i < 5; i++) images.push(await seed.image('team/durable', `v${i}`));
  await moto.enableIamAuth();
  proxy = await startFaultProxy(moto.endpoint);
  dataDir = await mkdtemp(join(tmpdir(), 'imagetrail-durable-'));
}, 120_000);

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([moto?.stop(), registry?.stop(), remote?.cleanup()]);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('a server killed mid-job', () => {
  it('resumes every accepted report after restart, each enriched once', async () => {
    let server: ServerHandle = await startImagetrail({ configRepo: remote.url, dataDir, env: SERVER_ENV });
    try {
      const add = await addEcrKeyIntegration(server, 'ecr', s.users.ro, [
        '--skip-test',
        '--api-endpoint',
        proxy.url,
        '--sts-endpoint',
        moto.endpoint,
        '--registry-endpoint',
        registry.url,
      ]);
      expect(add.code, add.stderr).toBe(0);
      // Every ECR call hangs until the server is gone.
      proxy.inject(Array.from({ length: 50 }, () => ({ kind: 'hang' as const })));
      const ids: string[] = [];
      for (const img of images) {
        const r = await api(server, 'POST', '/api/v1/image-reports', {
          image: `${HOST}/team/durable:${img.reference}`,
          registryIntegration: 'ecr',
        });
        expect(r.status, r.text).toBe(202);
        ids.push(r.json.id);
      }
      await waitUntil('a report to be running', async () => {
        const r = await api(server, 'GET', `/api/v1/image-reports/${ids[0]}`);
        return r.json.status === 'running' ? true : undefined;
      });
      server.proc.kill('SIGKILL');
      await new Promise((r) => server.proc.once('exit', r));
      proxy.clear();

      server = await startImagetrail({ configRepo: remote.url, dataDir, env: SERVER_ENV });
      const finals = await Promise.all(
        ids.map((id) =>
          waitUntil(`report ${id}`, async () => {
            const r = await api(server, 'GET', `/api/v1/image-reports/${id}`);
            return r.json.status === 'succeeded' || r.json.status === 'failed' ? r.json : undefined;
          }),
        ),
      );
      for (const [i, f] of finals.entries()) {
        expect(f.status, JSON.stringify(f)).toBe('succeeded');
        expect(f.result.digest).toBe(images[i]!.digest);
      }
      expect(finals[0].attempts).toBeGreaterThanOrEqual(2); // it was taken over after the crash
      const list = await api(server, 'GET', '/api/v1/images?repository=team/durable&limit=50');
      expect(list.json.items).toHaveLength(images.length);
      for (const item of list.json.items) {
        const d = await api(server, 'GET', `/api/v1/images/${item.id}`);
        expect(d.json.builds).toHaveLength(1);
      }
    } finally {
      await server.stop();
    }
  });
});
