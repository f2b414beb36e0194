import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../logging/logger.js';
import { Redactor } from '../logging/redactor.js';
import { FakeImageStore } from '../store/fake-image-store.js';
import { FakeReportStore } from '../store/fake-report-store.js';
import type { PipelineJob } from './pipeline.js';
import type { PipelineResult } from '../contract/images.js';
import { digest, enrichmentRecord } from '../../test/helpers/enrichment-record.js';
import { ReportRunner, type RunnerOptions } from './runner.js';
import { UnavailableError, NotFoundError } from '../domain/errors.js';
import { noTelemetry, type Telemetry } from '../domain/telemetry.js';

// The runner's scheduling, on the in-memory stores: which jobs run when. The pipeline is a stand-in that
// holds every job until the test lets it finish, so "running at the same time" is observable.

const DIGEST = digest('a');

function heldPipeline() {
  const started: string[] = [];
  const releases: Array<() => void> = [];
  return {
    started,
    releaseAll: () => releases.splice(0).forEach((r) => r()),
    run: async (job: PipelineJob): Promise<PipelineResult> => {
      started.push(job.id);
      await new Promise<void>((resolve) => releases.push(resolve));
      return enrichmentRecord({ reportId: job.id, runtime: job.runtime }, { digest: DIGEST, tags: ['1'] });
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
function startRunner(opts: {
  concurrency: number;
  pollMs: number;
  retryBaseMs?: number;
  telemetry?: Telemetry;
  pipeline?: RunnerOptions['pipeline'];
}) {
  const reports = new FakeReportStore();
  const pipeline = heldPipeline();
  const redactor = new Redactor();
  runner = new ReportRunner({
    reports,
    images: new FakeImageStore(),
    pipeline: opts.pipeline ?? pipeline,
    redactor,
    logger: createLogger(redactor, { destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
    concurrency: opts.concurrency,
    pollMs: opts.pollMs,
    ...(opts.retryBaseMs !== undefined ? { retryBaseMs: opts.retryBaseMs } : {}),
    ...(opts.telemetry ? { telemetry: opts.telemetry } : {}),
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

  it('tells the metrics how each run ended (by reason class) and how long each step took', async () => {
    const events: string[] = [];
    const telemetry: Telemetry = {
      ...noTelemetry,
      reportFinished: (runtime, outcome, reason) => events.push(`${runtime} ${outcome} ${reason ?? '-'}`),
      enrichmentStep: (step, seconds) => {
        expect(seconds).toBeGreaterThanOrEqual(0);
        events.push(`step ${step}`);
      },
    };
    let calls = 0;
    const pipeline: RunnerOptions['pipeline'] = {
      // The first report: unavailable once (retried), then through; the second: not found (failed for good).
      run: async (job, step) => {
        calls++;
        if (job.input.image.endsWith(':missing')) throw new NotFoundError('no such tag');
        if (calls === 1) throw new UnavailableError('registry answered 503');
        step('manifest', 'ok');
        const held = heldPipeline();
        const result = held.run(job);
        held.releaseAll();
        return result;
      },
    };
    const { reports, runner } = startRunner({
      concurrency: 1,
      pollMs: 20,
      retryBaseMs: 10,
      telemetry,
      pipeline,
    });
    await reports.enqueue({ image: 'registry.example/team/app:1' }, { runtime: 'local' });
    runner.notify();
    await until(() => events.includes('local succeeded -'));
    await reports.enqueue({ image: 'registry.example/team/app:missing' }, { runtime: 'local' });
    runner.notify();
    await until(() => events.some((e) => e.startsWith('local failed')));
    expect(events.filter((e) => !e.startsWith('step'))).toEqual([
      'local retrying UnavailableError',
      'local succeeded -',
      'local failed NotFoundError',
    ]);
    expect(events).toEqual(expect.arrayContaining(['step manifest', 'step recorded', 'step failed']));
  });
});
