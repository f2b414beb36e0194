import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RemoteOutcome, RemoteService, Telemetry } from '../../domain/telemetry.js';
import type { QueueStat } from '../../store/report-store.js';

/** Read at scrape time: the state that lives elsewhere (the job table, the config repo). */
export interface MetricsSources {
  queueStats?: () => Promise<QueueStat[]>;
  /** Runtimes that exist: each gets a queue depth, 0 when nothing waits, so alerts see the series. */
  runtimes?: () => Iterable<string>;
  now?: () => number;
}

/**
 * One Prometheus registry per server instance (never prom-client's global default registry), so two
 * servers in one process, or two tests, never share series.
 */
export class PrometheusMetrics implements Telemetry {
  readonly registry = new Registry();
  private readonly accepted: Counter<'runtime'>;
  private readonly finished: Counter<'runtime' | 'outcome' | 'reason_class'>;
  private readonly steps: Histogram<'step'>;
  private readonly remoteCalls: Counter<'service' | 'operation' | 'outcome'>;
  private readonly remoteDuration: Histogram<'service' | 'operation'>;
  private readonly tokenCacheRequests: Counter<'cache' | 'result'>;
  private readonly syncErrors: Counter;
  private readonly http: Histogram<'method' | 'route' | 'status_class'>;
  private lastSync: number | undefined;

  constructor(sources: MetricsSources = {}) {
    const registers = [this.registry];
    const now = sources.now ?? Date.now;
    this.accepted = new Counter({
      name: 'imagetrail_reports_accepted_total',
      help: 'Image reports persisted as new jobs.',
      labelNames: ['runtime'],
      registers,
    });
    this.finished = new Counter({
      name: 'imagetrail_report_runs_total',
      help: 'Report runs that ended: succeeded, failed for good, or failed and queued for a retry.',
      labelNames: ['runtime', 'outcome', 'reason_class'],
      registers,
    });
    this.steps = new Histogram({
      name: 'imagetrail_enrichment_step_duration_seconds',
      help: 'Duration of enrichment steps (time since the previous step of the same run).',
      labelNames: ['step'],
      buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.remoteCalls = new Counter({
      name: 'imagetrail_remote_calls_total',
      help: 'Calls to remote services (ECR, STS, registries, GitHub, Jira, Git remotes) by outcome.',
      labelNames: ['service', 'operation', 'outcome'],
      registers,
    });
    this.remoteDuration = new Histogram({
      name: 'imagetrail_remote_call_duration_seconds',
      help: 'Duration of calls to remote services.',
      labelNames: ['service', 'operation'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.tokenCacheRequests = new Counter({
      name: 'imagetrail_token_cache_requests_total',
      help: 'Registry token cache lookups: hit (reused) or miss (fetched).',
      labelNames: ['cache', 'result'],
      registers,
    });
    this.syncErrors = new Counter({
      name: 'imagetrail_config_sync_errors_total',
      help: 'Failed pulls of the shared configuration repository.',
      registers,
    });
    const lastSync = () => this.lastSync;
    // Never synced counts from start-up: a server that cannot pull at all is stale since it started.
    const startedAt = now();
    new Gauge({
      name: 'imagetrail_config_sync_age_seconds',
      help: 'Seconds since the shared configuration repository was last pulled successfully.',
      registers,
      collect() {
        this.set((now() - (lastSync() ?? startedAt)) / 1000);
      },
    });
    this.http = new Histogram({
      name: 'imagetrail_http_request_duration_seconds',
      help: 'HTTP requests by route pattern (never the raw path).',
      labelNames: ['method', 'route', 'status_class'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    if (sources.queueStats) this.queueGauges(sources.queueStats, sources.runtimes ?? (() => []), now);
  }

  /** Queue depth and the oldest waiting report per runtime, read from the job table at each scrape. */
  private queueGauges(
    read: () => Promise<QueueStat[]>,
    runtimes: () => Iterable<string>,
    now: () => number,
  ): void {
    // Both gauges are filled by one read per scrape: the first collect starts it, the second reuses it.
    let pending: Promise<QueueStat[]> | undefined;
    const stats = () => {
      pending ??= read().finally(() => queueMicrotask(() => (pending = undefined)));
      return pending;
    };
    const registers = [this.registry];
    new Gauge({
      name: 'imagetrail_report_queue_depth',
      help: 'Reports waiting to run (queued, including those waiting for a retry).',
      labelNames: ['runtime'],
      registers,
      async collect() {
        this.reset();
        for (const runtime of runtimes()) this.set({ runtime: bounded(runtime) }, 0);
        for (const s of await stats()) this.set({ runtime: bounded(s.runtime) }, s.queued);
      },
    });
    new Gauge({
      name: 'imagetrail_report_oldest_queued_age_seconds',
      help: 'Age of the report that has waited longest in the queue.',
      labelNames: ['runtime'],
      registers,
      async collect() {
        this.reset();
        for (const s of await stats())
          this.set(
            { runtime: bounded(s.runtime) },
            Math.max(0, (now() - Date.parse(s.oldestCreatedAt)) / 1000),
          );
      },
    });
  }

  reportAccepted(runtime: string): void {
    this.accepted.inc({ runtime: bounded(runtime) });
  }

  reportFinished(runtime: string, outcome: 'succeeded' | 'failed' | 'retrying', reasonClass?: string): void {
    const reason = outcome === 'succeeded' ? 'none' : bounded(reasonClass ?? 'unknown');
    this.finished.inc({ runtime: bounded(runtime), outcome, reason_class: reason });
  }

  enrichmentStep(step: string, seconds: number): void {
    this.steps.observe({ step: bounded(step) }, seconds);
  }

  remoteCall(service: RemoteService, operation: string, outcome: RemoteOutcome, seconds: number): void {
    const op = bounded(operation);
    this.remoteCalls.inc({ service, operation: op, outcome: bounded(outcome) });
    this.remoteDuration.observe({ service, operation: op }, seconds);
  }

  tokenCache(cache: string, result: 'hit' | 'miss'): void {
    this.tokenCacheRequests.inc({ cache: bounded(cache), result });
  }

  configSynced(ok: boolean, at = Date.now()): void {
    if (ok) this.lastSync = at;
    else this.syncErrors.inc();
  }

  httpRequest(method: string, route: string, status: number, seconds: number): void {
    const m = /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)$/.test(method) ? method : 'OTHER';
    this.http.observe({ method: m, route, status_class: `${Math.floor(status / 100)}xx` }, seconds);
  }

  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/**
 * Label values come from code or configuration (runtime names, step names, error classes), but a label is
 * never allowed to carry something shaped like free text: anything else collapses to `other`.
 */
export function bounded(value: string): string {
  return /^[A-Za-z0-9_.:-]{1,64}$/.test(value) ? value : 'other';
}
