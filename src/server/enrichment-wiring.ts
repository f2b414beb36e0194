import type { EndpointPolicy } from '../domain/endpoints.js';
import type { ConfigRepo } from '../config-repo/workspace.js';
import type { KeyStore } from '../config-repo/keys.js';
import type { openDatabase } from '../store/database.js';
import type { ReportHandoff } from '../store/report-store.js';
import type { SqlReportStore } from '../store/sql-report-store.js';
import { SqlImageStore } from '../store/sql-image-store.js';
import { EnrichmentPipeline } from '../enrichment/pipeline.js';
import { ReportRunner } from '../enrichment/runner.js';
import { ReportService } from '../enrichment/report-service.js';
import { GitHubGitEnricher } from '../enrichment/git-enricher.js';
import { JiraIssueEnricher } from '../enrichment/issue-enricher.js';
import { meteredFetch } from '../integrations/metered-fetch.js';
import type { RuntimeExecutor } from '../runtimes/executor.js';
import type { PrometheusMetrics } from './metrics/prometheus.js';
import type { Coordination } from './replication.js';
import type { Ctx, Opts } from './serve-options.js';

/** The report pipeline of one control-plane process: image store, enrichment pipeline, runner, intake. */
export function buildEnrichment(
  opts: Opts,
  { redactor, logger }: Ctx,
  deps: {
    db: ReturnType<typeof openDatabase>['db'];
    dialect: ReturnType<typeof openDatabase>['dialect'];
    reportStore: SqlReportStore;
    repo: ConfigRepo;
    keys: KeyStore;
    executor: RuntimeExecutor;
    endpoints: EndpointPolicy;
    metrics: PrometheusMetrics;
    notifyAgents: (runtime: string) => void;
    /** A claim of the runtime's agents waiting here, to hand a report to at its intake. */
    handoffToAgent: (runtime: string) => ReportHandoff | null;
    coord: Coordination;
  },
) {
  const { reportStore, endpoints, metrics } = deps;
  const images = new SqlImageStore({ db: deps.db, dialect: deps.dialect });
  const pipeline = new EnrichmentPipeline({
    repo: deps.repo,
    keys: deps.keys,
    executor: deps.executor,
    redactor,
    logger,
    endpoints,
    git: new GitHubGitEnricher({
      keys: deps.keys,
      redactor,
      endpoints,
      fetch: meteredFetch('github', metrics),
    }),
    issues: new JiraIssueEnricher({
      keys: deps.keys,
      redactor,
      maxKeys: opts.maxIssueKeys,
      endpoints,
      fetch: meteredFetch('jira', metrics),
    }),
  });
  const runner = new ReportRunner({
    reports: reportStore,
    images,
    pipeline,
    logger,
    redactor,
    concurrency: opts.reportConcurrency,
    leaseMs: opts.reportLeaseMs,
    pollMs: opts.reportPollMs,
    retryBaseMs: opts.reportRetryBaseMs,
    telemetry: metrics,
    // This process runs its own runtime and the hosted ones; remote hybrid runtimes' agents claim the rest.
    runtimes: () =>
      [...deps.repo.snapshot().runtimes.values()]
        .filter((rt) => deps.executor.canExecute(rt).ok)
        .map((rt) => rt.metadata.name),
  });
  const reports = new ReportService({
    reports: reportStore,
    repo: deps.repo,
    localRuntime: opts.localRuntime ? opts.runtimeName : undefined,
    handoff: deps.handoffToAgent,
    onAccepted: ({ runtime, created, handedOver }) => {
      if (created) metrics.reportAccepted(runtime);
      if (handedOver) return;
      runner.notify(runtime);
      deps.notifyAgents(runtime);
      // Another replica's idle workers or waiting agents may be the ones free to take it.
      deps.coord.notifier.publish('reports', runtime);
    },
  });
  return { reportStore, images, pipeline, runner, reports };
}
