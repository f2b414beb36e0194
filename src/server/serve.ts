import { DeploymentService } from '../deployments/deployment-service.js';
import { SqlDeploymentStore } from '../store/sql-deployment-store.js';
import { writeFile, chmod, rm } from 'node:fs/promises';
import { removePointer, writePointer } from './pointer.js';
import { parseEndpointPolicy, type EndpointPolicy } from '../domain/endpoints.js';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { ServerType } from '@hono/node-server';
import * as z from 'zod';
import { InputError } from '../domain/errors.js';
import { ResourceName } from '../domain/names.js';
import { parseInput } from '../domain/parse.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { Redactor } from '../logging/redactor.js';
import { parseLocation } from '../config-repo/location.js';
import { ensureClusterManifests } from '../config-repo/cluster-manifests.js';
import { ConfigRepo } from '../config-repo/workspace.js';
import { openDatabase } from '../store/database.js';
import { migrateToLatest } from '../store/migrations/index.js';
import { SqlTokenStore } from '../store/sql-token-store.js';
import { SqlAuditStore } from '../store/sql-audit-store.js';
import { SqlRecipientPinStore } from '../store/recipient-pin-store.js';
import { createSealedVerifier } from '../integrations/sealed-verifier.js';
import { RecipientPins } from '../runtimes/recipient-pins.js';
import { SqlReportStore } from '../store/sql-report-store.js';
import { SqlImageStore } from '../store/sql-image-store.js';
import { EnrichmentPipeline } from '../enrichment/pipeline.js';
import { ReportRunner } from '../enrichment/runner.js';
import { ReportService } from '../enrichment/report-service.js';
import { GitHubGitEnricher } from '../enrichment/git-enricher.js';
import { DEFAULT_MAX_ISSUE_KEYS, JiraIssueEnricher } from '../enrichment/issue-enricher.js';
import { IntegrationService } from '../integrations/integration-service.js';
import { KeyStore } from '../config-repo/keys.js';
import { RuntimeExecutor } from '../runtimes/executor.js';
import { RuntimeService } from '../runtimes/runtime-service.js';
import { createApp } from './app.js';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { DiskFullState } from './disk-full.js';
import { listenHttp } from './listen.js';
import { readinessChecks } from './readiness.js';
import { PrometheusMetrics } from './metrics/prometheus.js';
import { meteredFetch } from '../integrations/metered-fetch.js';
import { resolveSsoSettings, type OidcOptions } from './sso/settings.js';
import { OidcClient } from './sso/oidc-client.js';
import { SqlSsoSessionStore } from '../store/sso-session-store.js';
import type { SsoDeps } from './routes/sso.js';
import { makeDataDir } from './data-dir.js';
import { AgentHub } from '../runtimes/agent-hub.js';
import { SqlAgentStore } from '../store/sql-agent-store.js';

export const ServeOptions = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  host: z.string().min(1).default('127.0.0.1'),
  dataDir: z.string().min(1).default('.imagetrail'),
  /** Write the discovery pointer in the user's config directory (serve on the default data directory). */
  registerPointer: z.boolean().default(false),
  /** Local path or Git URL (`URL[/sub/path][?ref=branch]`); default: a local repo in the data directory. */
  configRepo: z.string().min(1).optional(),
  /** `sqlite:FILE` or `postgres://…`; default: SQLite in the data directory. */
  database: z.string().min(1).optional(),
  runtimeName: ResourceName.default('local'),
  syncIntervalSeconds: z.coerce.number().min(0).default(60),
  awsRequestTimeoutMs: z.coerce.number().int().min(100).max(300_000).default(10_000),
  awsMaxAttempts: z.coerce.number().int().min(1).max(10).default(3),
  /** Reports enriched at once by this server. */
  reportConcurrency: z.coerce.number().int().min(1).max(256).default(8),
  /** A running report whose worker has been silent this long is taken over (the worker died). */
  reportLeaseMs: z.coerce.number().int().min(500).max(3_600_000).default(60_000),
  reportPollMs: z.coerce.number().int().min(50).max(60_000).default(1000),
  reportRetryBaseMs: z.coerce.number().int().min(10).max(600_000).default(2000),
  /** `--allow-endpoint`: hosts credentials may be sent to over http, or as non-AWS ECR API/STS endpoints. */
  allowEndpoints: z.array(z.string()).default([]),
  /** Jira issue keys looked up per report (CI writes the text they are found in). */
  maxIssueKeys: z.coerce.number().int().min(1).max(1000).default(DEFAULT_MAX_ISSUE_KEYS),
  /** The URL clients reach this server at; Codefresh's client is told to send reports there. */
  publicUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** Dashboard single sign-on; see src/server/sso/settings.ts. */
  oidc: z.custom<OidcOptions>((v) => typeof v === 'object' && v !== null).optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type ServeOptions = z.input<typeof ServeOptions>;

export interface RunningServer {
  url: string;
  adminTokenFile?: string;
  close(): Promise<void>;
}

/**
 * Starts `imagetrail serve`: opens the store and the shared configuration repository, registers the
 * control plane and the in-process runtime, creates the first admin token, and serves the API.
 */
export async function startServer(
  raw: ServeOptions,
  version: string,
  runtimeVersion: string,
): Promise<RunningServer> {
  const opts = parseInput(ServeOptions, raw, 'server options');
  const redactor = new Redactor();
  const logger = createLogger(redactor, { level: opts.logLevel });
  const dataDir = resolve(opts.dataDir);
  await makeDataDir(dataDir);
  // Before anything in the data directory is opened: a second server must touch nothing.
  const lock = await lockDataDir(dataDir);
  try {
    return await startLocked(opts, dataDir, lock, { redactor, logger }, version, runtimeVersion);
  } catch (err) {
    await lock.release();
    throw err;
  }
}

type Ctx = { redactor: Redactor; logger: Logger };
type Opts = z.output<typeof ServeOptions>;

async function startLocked(
  opts: Opts,
  dataDir: string,
  lock: DataDirLock,
  ctx: Ctx,
  version: string,
  runtimeVersion: string,
): Promise<RunningServer> {
  const { redactor, logger } = ctx;
  // Before the store opens: a bad SSO setting fails the start with nothing to clean up.
  const ssoSettings = opts.oidc ? await resolveSsoSettings(opts.oidc, opts.publicUrl, redactor) : undefined;
  const store = await openStore(opts, dataDir, ctx);
  let repo: ConfigRepo | undefined;
  try {
    const tokens = new SqlTokenStore({ db: store.db });
    const audit = new SqlAuditStore({ db: store.db });
    const reportStore = new SqlReportStore({ db: store.db });
    const location = parseLocation(opts.configRepo ?? join(dataDir, 'shared-config'));
    const endpoints = parseEndpointPolicy(opts.allowEndpoints);
    const keys = new KeyStore(dataDir);
    const openRepo = (): ConfigRepo | undefined => repo;
    const metrics = new PrometheusMetrics({
      queueStats: () => reportStore.queueStats(),
      runtimes: () => openRepo()?.snapshot().runtimes.keys() ?? [],
    });
    // Recipients come from the store, not Git; every resource read from Git is checked against them and
    // against the binding sealed into each secret (docs/security.md).
    const pins = await RecipientPins.load(new SqlRecipientPinStore({ db: store.db }), audit);
    const verify = createSealedVerifier({ keys, redactor, pins });
    repo = await ConfigRepo.open({
      location,
      workDir: join(dataDir, 'config-repo'),
      journalFile: join(dataDir, 'config-repo-journal.json'),
      logger,
      endpoints,
      verify,
      git: { telemetry: metrics },
      ...faultHook(),
    });
    metrics.configSynced(true);
    const executor = new RuntimeExecutor({
      localRuntime: opts.runtimeName,
      redactor,
      requestTimeoutMs: opts.awsRequestTimeoutMs,
      maxAttempts: opts.awsMaxAttempts,
      telemetry: metrics,
    });
    const integrations = new IntegrationService({
      repo,
      keys,
      executor,
      redactor,
      logger,
      audit,
      endpoints,
      pins,
    });
    const runtimes = new RuntimeService({ repo, keys, executor, integrations, logger, pins });
    await bootstrap(runtimes, opts.runtimeName, runtimeVersion, logger);
    // Argo CD needs these, imagetrail does not: a failure (a protected branch, say) is logged, not fatal.
    await ensureClusterManifests(repo, logger).catch((err: unknown) => {
      logger.warn({ err }, 'config repo: cannot write the CRDs and Argo CD Applications');
    });
    // Reports for a remote hybrid runtime wait in the store for its agents, which are woken when one comes.
    const woken: { hub?: AgentHub } = {};
    const enrichment = buildEnrichment(opts, ctx, {
      notifyAgents: (runtime) => woken.hub?.dispatch.notify(runtime),
      db: store.db,
      reportStore,
      repo,
      keys,
      executor,
      endpoints,
      metrics,
    });
    const { runner } = enrichment;
    const agents = new AgentHub({
      ...{ repo, pins, integrations, tokens, executor, audit, redactor, logger },
      agents: new SqlAgentStore({ db: store.db }),
      reports: reportStore,
      images: enrichment.images,
      leaseMs: opts.reportLeaseMs,
      pollMs: opts.reportPollMs,
    });
    woken.hub = agents;

    const adminTokenFile = await ensureAdminToken(tokens, dataDir, logger);
    for (const p of repo.snapshot().problems) {
      logger.warn({ file: p.file, path: p.path }, `shared configuration: ${p.message}`);
    }
    if (opts.syncIntervalSeconds > 0) startConfigSync(repo, opts.syncIntervalSeconds, metrics, logger);

    const app = createApp({
      version,
      logger,
      redactor,
      repo,
      tokens,
      audit,
      integrations,
      runtimes,
      reports: enrichment.reports,
      images: enrichment.images,
      pipeline: enrichment.pipeline,
      localRuntime: opts.runtimeName,
      ...(opts.publicUrl ? { publicUrl: opts.publicUrl } : {}),
      metrics,
      ...(ssoSettings ? { sso: ssoDeps(ssoSettings, store.db) } : {}),
      health: async () => ({ reports: { ...(await reportStore.counts()), inProgressHere: runner.busy } }),
      readiness: readinessChecks({ reports: reportStore, repo, runner }),
      diskFull: new DiskFullState(),
      agents,
      deployments: new DeploymentService({
        store: new SqlDeploymentStore({ db: store.db }),
        images: enrichment.images,
        reports: reportStore,
        repo,
        onQueued: () => runner.notify(),
      }),
    });
    const server = await listenHttp(app.fetch, opts.port, opts.host);
    const url = await publish(server, opts.host, dataDir);
    if (opts.registerPointer) await writePointer({ url, pid: process.pid, dataDir });
    logger.info(
      { url, dataDir, configRepo: location.kind, database: store.dialect },
      `imagetrail ${version} listening on ${url}`,
    );
    // Started once the API listens; jobs a crashed process left running are taken over when their lease ends.
    runner.start();
    const liveRepo = repo;
    return {
      url,
      ...(adminTokenFile ? { adminTokenFile } : {}),
      async close() {
        liveRepo.stopAutoSync();
        await runner.stop();
        await new Promise<void>((ok) => server.close(() => ok()));
        await store.close();
        await rm(join(dataDir, 'server.json'), { force: true });
        if (opts.registerPointer) await removePointer(process.pid);
        await lock.release();
      },
    };
  } catch (err) {
    repo?.stopAutoSync();
    await store.close().catch(() => undefined);
    throw err;
  }
}

async function openStore(opts: Opts, dataDir: string, { redactor, logger }: Ctx) {
  const database = opts.database ?? `sqlite:${join(dataDir, 'imagetrail.db')}`;
  const store = openDatabase(database, {
    redactor,
    onPoolError: (err) => logger.warn({ err }, 'database connection error'),
  });
  try {
    await migrateToLatest(store.db);
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}

/**
 * Registers the control plane and the in-process runtime. An invalid repository (a symlinked layout folder,
 * say) is reported by `config status`; the server still starts so that the operator can see and fix it.
 */
async function bootstrap(runtimes: RuntimeService, name: string, version: string, logger: Logger) {
  try {
    await runtimes.ensureBootstrap(name, version);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    logger.error({ err }, `cannot register the in-process runtime ${name}: ${err.message}`);
  }
}

function buildEnrichment(
  opts: Opts,
  { redactor, logger }: Ctx,
  deps: {
    db: ReturnType<typeof openDatabase>['db'];
    reportStore: SqlReportStore;
    repo: ConfigRepo;
    keys: KeyStore;
    executor: RuntimeExecutor;
    endpoints: EndpointPolicy;
    metrics: PrometheusMetrics;
    notifyAgents: (runtime: string) => void;
  },
) {
  const { reportStore, endpoints, metrics } = deps;
  const images = new SqlImageStore({ db: deps.db });
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
    localRuntime: opts.runtimeName,
    onAccepted: ({ runtime, created }) => {
      if (created) metrics.reportAccepted(runtime);
      runner.notify();
      deps.notifyAgents(runtime);
    },
  });
  return { reportStore, images, pipeline, runner, reports };
}

function ssoDeps(
  settings: Awaited<ReturnType<typeof resolveSsoSettings>>,
  db: ReturnType<typeof openDatabase>['db'],
): SsoDeps {
  return { settings, client: new OidcClient(settings), sessions: new SqlSsoSessionStore({ db }) };
}

/** Writes `server.json`, which lets local clients (the CLI, tests) find a server started on port 0. */
async function publish(server: ServerType, listenHost: string, dataDir: string): Promise<string> {
  const { port } = server.address() as AddressInfo;
  const host = listenHost.includes(':') ? `[${listenHost}]` : listenHost;
  const url = `http://${host}:${port}`;
  await writeFile(join(dataDir, 'server.json'), JSON.stringify({ url, pid: process.pid }) + '\n', {
    mode: 0o600,
  });
  return url;
}

/**
 * IMAGETRAIL_TEST_FAULT=<point> makes the server SIGKILL itself at that point of a configuration
 * change (see ConfigRepoOptions.faultPoint): the crash tests' way to stop it between two Git steps.
 */
function faultHook(): { faultPoint?: (point: string) => void } {
  const at = process.env['IMAGETRAIL_TEST_FAULT'];
  if (!at) return {};
  return {
    faultPoint: (point) => {
      if (point === at) process.kill(process.pid, 'SIGKILL');
    },
  };
}

/** The periodic pull of the shared configuration; its successes and failures feed /metrics. */
function startConfigSync(
  repo: ConfigRepo,
  seconds: number,
  metrics: PrometheusMetrics,
  logger: Logger,
): void {
  const onError = (err: unknown) => {
    metrics.configSynced(false);
    logger.warn({ err }, 'config repo: periodic sync failed');
  };
  repo.startAutoSync(seconds * 1000, onError, () => metrics.configSynced(true));
}

/** The first start makes an admin token and writes it, 0600, where only the operator can read it. */
async function ensureAdminToken(
  tokens: SqlTokenStore,
  dataDir: string,
  logger: Logger,
): Promise<string | undefined> {
  const existing = await tokens.list();
  const file = join(dataDir, 'admin-token');
  if (existing.length > 0) return undefined;
  const { token } = await tokens.create({ name: 'initial admin', scopes: ['admin'] });
  await writeFile(file, token + '\n', { mode: 0o600 });
  await chmod(file, 0o600);
  logger.info({ file }, `created the first admin token; it is in ${file} (mode 0600)`);
  return file;
}
