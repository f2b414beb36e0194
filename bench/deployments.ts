import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
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

function seed(api: FakeKubeApiServer, pods: number, workloads: number): void {
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
}

/** One bare paged list of all pods, median of 5: the reference. */
async function referenceList(kc: KubeConfig): Promise<number> {
  const refs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    let token: string | undefined;
    do token = (await listPage(kc, PATHS.pods, { limit: 500, continue: token })).continue;
    while (token);
    refs.push(performance.now() - t);
  }
  return median(refs);
}

type Measures = Record<
  | 'pods'
  | 'workloads'
  | 'reference'
  | 'syncMs'
  | 'syncCpu'
  | 'resyncMs'
  | 'resyncCpu'
  | 'steadyCpu'
  | 'perChange'
  | 'fullApply'
  | 'heap0'
  | 'heapSynced'
  | 'peak',
  number
>;

/** The run before the batched upserts (2026-12-02 08:59 UTC, same machine, 300 groups), in ms. */
const BEFORE = { at: '2026-12-02 08:59 UTC', fullApply: 845, reference: 1351 };

function report(m: Measures & { load?: [number, number] }): string {
  const { reference } = m;
  const rows: Array<Array<string | number>> = [
    ['reference: one paged list of all pods', ms(reference), '1.0×'],
    ['first sync → full state sent (wall)', ms(m.syncMs), ratio(m.syncMs, reference)],
    ['first sync CPU', ms(m.syncCpu), ratio(m.syncCpu, reference)],
    ['full resync (wall)', ms(m.resyncMs), ratio(m.resyncMs, reference)],
    ['full resync CPU', ms(m.resyncCpu), ratio(m.resyncCpu, reference)],
    ['observer CPU per pod change (steady)', ms(m.steadyCpu), ratio(m.steadyCpu, reference)],
    ['control plane: apply one delta batch (SQLite)', ms(m.perChange), ratio(m.perChange, reference)],
    [
      `control plane: apply a full-state part (${m.workloads} groups)`,
      ms(m.fullApply),
      ratio(m.fullApply, reference),
    ],
  ];
  const loadNote =
    m.load === undefined
      ? []
      : [
          '',
          `Machine load (1-minute average, 2 cores shared with other engineers' jobs): ${m.load[0].toFixed(1)} at the start, ${m.load[1].toFixed(1)} at the end — compare ratios, not milliseconds.`,
        ];
  return [
    `${m.pods} pods, ${m.workloads} workloads, stand-in and observer in one process.`,
    '',
    table(['measure', 'value', 'vs reference'], rows),
    '',
    `Heap used (this process: stand-in with its objects + observer + SQLite store): ${mb(m.heap0)} before the observer started, ${mb(m.heapSynced)} after its first sync, peak ${mb(m.peak)} during a full resync.`,
    '',
    `Before the batched upserts (docs/decisions/0030-batched-interval-upserts.md), the stored run of ${BEFORE.at} applied a full-state part of ${m.workloads} groups in ${ms(BEFORE.fullApply)}, ${ratio(BEFORE.fullApply, BEFORE.reference)} its reference (${ms(BEFORE.reference)}); this run: ${ratio(m.fullApply, m.reference)}.`,
    ...loadNote,
  ].join('\n');
}

/** Steady state: `changes` pod restarts (a new container start of the same digest), one at a time. */
async function restartPods(api: FakeKubeApiServer, pods: number, workloads: number, changes: number) {
  for (let c = 0; c < changes; c++) {
    const p = c * Math.floor(pods / changes);
    const w = p % workloads;
    api.apply(
      PATHS.pods,
      pod(
        `ns-${w % 20}`,
        `app-${w}-1-${p}`,
        { kind: 'ReplicaSet', name: `app-${w}-1` },
        { repository: `team/app-${w}`, digest: digestOf(w) },
        `2026-01-01T00:${String(c % 60).padStart(2, '0')}:00.000Z`,
      ),
    );
    await new Promise((r) => setTimeout(r, 60));
  }
}

export const deploymentsBench: Benchmark = {
  name: 'deployments',
  title: 'Deployment observer: 5,000 pods / 300 workloads',
  async run(ctx) {
    const pods = ctx.quick ? 1000 : 5000;
    const workloads = ctx.quick ? 60 : 300;
    const load0 = loadavg()[0] ?? NaN;
    const api = new FakeKubeApiServer({ bookmarkIntervalMs: 5000 });
    await api.start();
    const dir = mkdtempSync(join(tmpdir(), 'imagetrail-bench-deploy-'));
    const db = openDatabase(`sqlite:${join(dir, 'store.db')}`);
    await migrateToLatest(db.db);
    const store = new SqlDeploymentStore({ db: db.db });
    seed(api, pods, workloads);
    const kc = new KubeConfig();
    kc.loadFromFile(api.writeKubeconfig(dir));

    const reference = await referenceList(kc);

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

    const changes = ctx.quick ? 50 : 200;
    const before = batches.length;
    const cpu1 = process.cpuUsage();
    const applyBefore = applyMs.length;
    await restartPods(api, pods, workloads, changes);
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

    const m = {
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
      heap0,
      heapSynced,
      peak,
      load: [load0, loadavg()[0] ?? NaN] as [number, number],
    };
    return { markdown: report(m), data: m };
  },
};
