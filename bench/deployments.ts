import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ObservationBatch } from '../src/contract/deployments.js';
import { listPage } from '../src/deployments/observer/kube.js';
import { startDeploymentObserver } from '../src/deployments/observer/observer.js';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrations/index.js';
import { SqlDeploymentStore } from '../src/store/sql-deployment-store.js';
import { deployment, pod, replicaSet } from '../test/deployments/harness.js';
import { FakeKubeApiServer, PATHS } from '../test/peers/kube-apiserver.js';
import { mb, median, ms, ratio, table } from './lib/stats.js';
import type { Benchmark } from './lib/types.js';

/**
 * Issue 13: the observer on a cluster of 5,000 pods / 300 workloads (the stand-in, in this process), and the
 * control plane's cost per observed change (SQLite). The reference is one bare paged list of every pod
 * through the same client: the least any observer must do to know what runs.
 */

const digestOf = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const cpuMs = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const deploymentsBench: Benchmark = {
  name: 'deployments',
  title: 'Deployment observer: 5,000 pods / 300 workloads',
  async run(ctx) {
    const pods = ctx.quick ? 1000 : 5000;
    const workloads = ctx.quick ? 60 : 300;
    const api = new FakeKubeApiServer({ bookmarkIntervalMs: 5000 });
    await api.start();
    const dir = mkdtempSync(join(tmpdir(), 'imagetrail-bench-deploy-'));
    const db = openDatabase(`sqlite:${join(dir, 'store.db')}`);
    await migrateToLatest(db.db);
    const store = new SqlDeploymentStore({ db: db.db });
    for (let w = 0; w < workloads; w++) {
      api.apply(PATHS.deployments, deployment(`ns-${w % 20}`, `app-${w}`, `app-${w}`));
      api.apply(PATHS.replicasets, replicaSet(`ns-${w % 20}`, `app-${w}-1`, `app-${w}`));
    }
    for (let p = 0; p < pods; p++) {
      const w = p % workloads;
      api.apply(
        PATHS.pods,
        pod(
          `ns-${w % 20}`,
          `app-${w}-1-${p}`,
          { kind: 'ReplicaSet', name: `app-${w}-1` },
          { repository: `team/app-${w}`, digest: digestOf(w) },
          '2026-01-01T00:00:00.000Z',
        ),
      );
    }
    const kc = new KubeConfig();
    kc.loadFromFile(api.writeKubeconfig(dir));

    // Reference: one bare paged list of all pods.
    const refs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      let token: string | undefined;
      do token = (await listPage(kc, PATHS.pods, { limit: 500, continue: token })).continue;
      while (token);
      refs.push(performance.now() - t);
    }
    const reference = median(refs);

    const applyMs: number[] = [];
    const batches: ObservationBatch[] = [];
    const controller = new AbortController();
    const heap0 = process.memoryUsage().heapUsed;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const observer = startDeploymentObserver({
      kubeConfig: kc,
      signal: controller.signal,
      flushMs: 50,
      resyncMs: 3_600_000,
      send: async (b) => {
        const t = performance.now();
        await store.apply('bench', ObservationBatch.parse(b));
        applyMs.push(performance.now() - t);
        batches.push(b);
      },
    });
    await until(() => batches.some((b) => b.kind === 'full' && b.last), 'first full state');
    const syncMs = performance.now() - t0;
    const syncCpu = cpuMs(cpu0);
    const heapSynced = process.memoryUsage().heapUsed;

    // Steady state: 200 pod restarts (a new container start of the same digest), one at a time.
    const changes = ctx.quick ? 50 : 200;
    const before = batches.length;
    const cpu1 = process.cpuUsage();
    const applyBefore = applyMs.length;
    for (let c = 0; c < changes; c++) {
      const w = c % workloads;
      const p = c * Math.floor(pods / changes);
      const ns = `ns-${(p % workloads) % 20}`;
      api.apply(
        PATHS.pods,
        pod(
          ns,
          `app-${p % workloads}-1-${p}`,
          { kind: 'ReplicaSet', name: `app-${p % workloads}-1` },
          { repository: `team/app-${p % workloads}`, digest: digestOf(p % workloads) },
          `2026-01-01T00:${String(c % 60).padStart(2, '0')}:00.000Z`,
        ),
      );
      void w;
      await new Promise((r) => setTimeout(r, 60));
    }
    await until(() => batches.length > before, 'deltas');
    const steadyCpu = cpuMs(cpu1) / changes;
    const perChange = median(applyMs.slice(applyBefore));

    // Full resync: every collection listed again, the full state sent.
    const fulls = batches.filter((b) => b.kind === 'full' && b.last).length;
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 20);
    const cpu2 = process.cpuUsage();
    const t2 = performance.now();
    observer.resync();
    await until(() => batches.filter((b) => b.kind === 'full' && b.last).length > fulls, 'resync');
    const resyncMs = performance.now() - t2;
    const resyncCpu = cpuMs(cpu2);
    clearInterval(sampler);
    const fullApply = median(applyMs.slice(-Math.ceil(workloads / 500)));

    controller.abort();
    await observer.stopped;
    await api.stop();
    await db.close();
    rmSync(dir, { recursive: true, force: true });

    const rows: Array<Array<string | number>> = [
      ['reference: one paged list of all pods', ms(reference), '1.0×'],
      ['first sync → full state sent (wall)', ms(syncMs), ratio(syncMs, reference)],
      ['first sync CPU', ms(syncCpu), ratio(syncCpu, reference)],
      ['full resync (wall)', ms(resyncMs), ratio(resyncMs, reference)],
      ['full resync CPU', ms(resyncCpu), ratio(resyncCpu, reference)],
      ['observer CPU per pod change (steady)', ms(steadyCpu), ratio(steadyCpu, reference)],
      ['control plane: apply one delta batch (SQLite)', ms(perChange), ratio(perChange, reference)],
      [
        `control plane: apply a full-state part (${workloads} groups)`,
        ms(fullApply),
        ratio(fullApply, reference),
      ],
    ];
    const markdown = [
      `${pods} pods, ${workloads} workloads, stand-in and observer in one process.`,
      '',
      table(['measure', 'value', 'vs reference'], rows),
      '',
      `Heap used (this process: stand-in with its objects + observer + SQLite store): ${mb(heap0)} before the observer started, ${mb(heapSynced)} after its first sync, peak ${mb(peak)} during a full resync.`,
    ].join('\n');
    return {
      markdown,
      data: {
        pods,
        workloads,
        reference,
        syncMs,
        syncCpu,
        resyncMs,
        resyncCpu,
        steadyCpu,
        perChange,
        fullApply,
        heapSynced,
        peak,
      },
    };
  },
};
