import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../logging/logger.js';
import { Redactor } from '../logging/redactor.js';
import { FakeImageStore } from '../store/fake-image-store.js';
import { FakeReportStore } from '../store/fake-report-store.js';
import type { PipelineJob, PipelineResult } from './pipeline.js';
import { ReportRunner } from './runner.js';

// The runner's scheduling, on the in-memory stores: which jobs run when. The pipeline is a stand-in that
// holds every job until the test lets it finish, so "running at the same time" is observable.

const DIGEST = `sha256:${'a'.repeat(64)}`;

function heldPipeline() {
  const started: string[] = [];
  const releases: Array<() => void> = [];
  return {
    started,
    releaseAll: () => releases.splice(0).forEach((r) => r()),
    run: async (job: PipelineJob): Promise<PipelineResult> => {
      started.push(job.id);
      await new Promise<void>((resolve) => releases.push(resolve));
      return {
        image: {
          registry: 'registry.example',
          repository: 'team/app',
          digest: DIGEST,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          tags: ['1'],
          size: 1,
          platforms: [],
          layers: [],
          labels: {},
          annotations: {},
          referrers: [],
          registryType: 'registry.ecr',
        },
        build: { reportId: job.id, runtime: job.runtime, reportedAt: new Date().toISOString() },
      };
    },
  };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
}

let runner: ReportRunner | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await runner?.stop();
  runner = undefined;
});

/** A runner on fresh in-memory stores and a held pipeline, started; `afterEach` stops it. */
function startRunner(opts: { concurrency: number; pollMs: number }) {
  const reports = new FakeReportStore();
  const pipeline = heldPipeline();
  const redactor = new Redactor();
  runner = new ReportRunner({
    reports,
    images: new FakeImageStore(),
    pipeline,
    redactor,
    logger: createLogger(redactor, { destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
    ...opts,
  });
  runner.start();
  return { reports, pipeline, runner };
}

/** Lets every pending promise and I/O callback run (real setImmediate, whatever the fake timers do). */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

describe('ReportRunner', () => {
  it('reports accepted one after another run side by side, each woken by its notify (not by polling)', async () => {
    // pollMs longer than the test: only notify() can wake an idle worker.
    const { reports, pipeline, runner } = startRunner({ concurrency: 4, pollMs: 60_000 });
    await new Promise((r) => setTimeout(r, 20)); // every worker found nothing and went idle
    for (let i = 0; i < 4; i++) {
      await reports.enqueue({ image: `registry.example/team/app:${i}` }, { runtime: 'local' });
      runner.notify();
      await until(() => pipeline.started.length === i + 1);
      // Each report starts while the earlier ones are still running.
      expect(pipeline.started).toHaveLength(i + 1);
    }
    expect(runner.busy).toBe(4);
    // A fifth waits for a free worker, then runs.
    await reports.enqueue({ image: 'registry.example/team/app:4' }, { runtime: 'local' });
    runner.notify();
    await new Promise((r) => setTimeout(r, 30));
    expect(pipeline.started).toHaveLength(4);
    pipeline.releaseAll();
    await until(() => pipeline.started.length === 5);
    expect(pipeline.started).toHaveLength(5);
    pipeline.releaseAll();
    await until(() => runner.busy === 0);
    expect((await reports.counts()).succeeded).toBe(5);
  });

  it('a worker woken by its poll timer does not take the other idle workers out of reach of notify', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const { reports, pipeline, runner } = startRunner({ concurrency: 2, pollMs: 1000 });
    await settle(); // both workers idle, their poll timers due at t = 1000
    await reports.enqueue({ image: 'registry.example/team/app:1' }, { runtime: 'local' });
    runner.notify();
    await settle();
    expect(pipeline.started).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(500);
    pipeline.releaseAll(); // the first worker goes idle again, its timer due at t = 1500
    await settle();
    await vi.advanceTimersByTimeAsync(500); // the other worker's timer fires at t = 1000: it polls, finds nothing
    await settle();
    // Two reports, one notify: both idle workers must wake, with no timer due.
    await reports.enqueue({ image: 'registry.example/team/app:2' }, { runtime: 'local' });
    await reports.enqueue({ image: 'registry.example/team/app:3' }, { runtime: 'local' });
    runner.notify();
    await settle();
    expect(pipeline.started).toHaveLength(3);
    pipeline.releaseAll();
    await settle();
  });
});
