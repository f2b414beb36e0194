import { writeFile, rm } from 'node:fs/promises';
import { DeploymentService } from '../deployments/deployment-service.js';
import { SqlDeploymentStore } from '../store/sql-deployment-store.js';
import { removePointer, writePointer } from './pointer.js';
import { parseEndpointPolicy } from '../domain/endpoints.js';
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
import { DEFAULT_MAX_ISSUE_KEYS } from '../enrichment/issue-enricher.js';
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
import { resolveSsoSettings, type OidcOptions } from './sso/settings.js';
import { OidcClient } from './sso/oidc-client.js';
import { SqlSsoSessionStore } from '../store/sso-session-store.js';
import type { SsoDeps } from './routes/sso.js';
import { makeDataDir } from './data-dir.js';
import { buildEnrichment } from './enrichment-wiring.js';
import { AgentHub } from '../runtimes/agent-hub.js';
import { SqlAgentTaskStore } from '../store/sql-agent-task-store.js';
import { SqlAgentStore } from '../store/sql-agent-store.js';
import { clientAddressResolver, parseTrustedProxies } from './client-address.js';
import { followReplicas, openCoordination, startConfigSync } from './replication.js';
import { assertSharedIdentities, ensureAdminToken, readSharedSecrets, sharedKeys } from './shared-secrets.js';

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
  /** False (`--no-local-runtime`): no in-process hybrid runtime; hosted runtimes still run here. */
  localRuntime: z.boolean().default(true),
  syncIntervalSeconds: z.coerce.number().min(0).default(60),
  awsRequestTimeoutMs: z.coerce.number().int().min(100).max(300_000).default(10_000),
  awsMaxAttempts: z.coerce.number().int().min(1).max(10).default(3),
  /** Reports enriched at once by this server. */
  reportConcurrency: z.coerce.number().int().min(1).max(256).default(8),
  /** A running report whose worker has been silent this long is taken over (the worker died). */
  reportLeaseMs: z.coerce.number().int().min(500).max(3_600_000).default(60_000),
  reportPollMs: z.coerce.number().int().min(50).max(60_000).default(1000),
  /** How long a connection test or inspection on a remote hybrid runtime waits for its agent. */
  agentTaskTimeoutMs: z.coerce.number().int().min(1000).max(600_000).default(60_000),
  reportRetryBaseMs: z.coerce.number().int().min(10).max(600_000).default(2000),
  /** `--allow-endpoint`: hosts credentials may be sent to over http, or as non-AWS ECR API/STS endpoints. */
  allowEndpoints: z.array(z.string()).default([]),
  /** Jira issue keys looked up per report (CI writes the text they are found in). */
  maxIssueKeys: z.coerce.number().int().min(1).max(1000).default(DEFAULT_MAX_ISSUE_KEYS),
  /** The URL clients reach this server at; Codefresh's client is told to send reports there. */
  publicUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** Dashboard single sign-on; see src/server/sso/settings.ts. */
  oidc: z.custom<OidcOptions>((v) => typeof v === 'object' && v !== null).optional(),
  /** Shared secrets of replicas, from files outside the data directory (docs/replicas.md). */
  identityFile: z.string().min(1).optional(),
  localRuntimeIdentityFile: z.string().min(1).optional(),
  adminTokenFile: z.string().min(1).optional(),
  /** `--trusted-proxy`: peers whose X-Forwarded-For names the client (the auth slow-down keys on it). */
  trustedProxies: z.array(z.string()).default([]),
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
  if (!opts.localRuntime && opts.localRuntimeIdentityFile) {
    throw new InputError(
      '--local-runtime-identity-file names the identity of a runtime that --no-local-runtime turns off.',
      {
        hints: ['Drop one of the two.'],
      },
    );
  }
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

export type Ctx = { redactor: Redactor; logger: Logger };
export type Opts = z.output<typeof ServeOptions>;

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
  // Checked before the store opens: a bad secret file or proxy range is a usage error, nothing is touched.
  const secrets = await readSharedSecrets(opts, redactor);
  const trusted = parseTrustedProxies(opts.trustedProxies);
  const store = await openStore(opts, dataDir, ctx);
  const coord = openCoordination({
    db: store.db,
    dialect: store.dialect,
    databaseUrl: databaseUrl(opts, dataDir),
    logger,
  });
  let repo: ConfigRepo | undefined;
  try {
    const tokens = new SqlTokenStore({ db: store.db });
    const audit = new SqlAuditStore({ db: store.db });
    const reportStore = new SqlReportStore({ db: store.db });
    const location = parseLocation(opts.configRepo ?? join(dataDir, 'shared-config'));
    const endpoints = parseEndpointPolicy(opts.allowEndpoints);
    const local = opts.localRuntime ? opts.runtimeName : undefined;
    const keys = new KeyStore(dataDir, sharedKeys(secrets, local));
    const openRepo = (): ConfigRepo | undefined => repo;
    const metrics = new PrometheusMetrics({
      queueStats: () => reportStore.queueStats(),
      runtimes: () => openRepo()?.snapshot().runtimes.keys() ?? [],
    });
    // Recipients come from the store, not Git; every resource read from Git is checked against them and
    // against the binding sealed into each secret (docs/security.md).
    const pins = await RecipientPins.load(new SqlRecipientPinStore({ db: store.db }), audit, () =>
      coord.notifier.publish('config'),
    );
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
      // Replicas write one at a time, each starting from what the one before pushed (no lost update).
      exclusive: (fn) => coord.lock.run('config-write', fn),
      onChanged: () => coord.notifier.publish('config'),
    });
    metrics.configSynced(true);
    const executor = new RuntimeExecutor({
      localRuntime: local,
      redactor,
      requestTimeoutMs: opts.awsRequestTimeoutMs,
      maxAttempts: opts.awsMaxAttempts,
      telemetry: metrics,
    });
    // The agent hub comes later (it needs the enrichment stores); tests on remote runtimes reach it then.
    const woken: { hub?: AgentHub } = {};
    const integrations = new IntegrationService({
      repo,
      keys,
      executor,
      remote: {
        serves: (rt) => woken.hub?.tasks.serves(rt) ?? false,
        test: (...args) => woken.hub!.tasks.test(...args),
      },
      redactor,
      logger,
      audit,
      endpoints,
      pins,
    });
    const runtimes = new RuntimeService({ repo, keys, executor, integrations, logger, pins });
    const opened = repo;
    // One replica at a time, seeing what the one before pinned and created (docs/replicas.md).
    const adminTokenFile = await coord.lock.run('bootstrap', async () => {
      await pins.reload();
      await assertSharedIdentities({ dialect: store.dialect, keys, pins, localRuntime: local });
      await bootstrap(runtimes, local, runtimeVersion, logger);
      // Argo CD needs these, imagetrail does not: a failure (a protected branch, say) is logged, not fatal.
      await ensureClusterManifests(opened, logger).catch((err: unknown) => {
        logger.warn({ err }, 'config repo: cannot write the CRDs and Argo CD Applications');
      });
      return ensureAdminToken({ tokens, dataDir, logger }, secrets.adminToken);
    });
    // Reports for a remote hybrid runtime wait in the store for its agents, which are woken when one comes.
    const enrichment = buildEnrichment(opts, ctx, {
      notifyAgents: (runtime) => woken.hub?.dispatch.notify(runtime),
      db: store.db,
      reportStore,
      repo,
      keys,
      executor,
      endpoints,
      metrics,
      coord,
    });
    const { runner } = enrichment;
    const agents = new AgentHub({
      ...{ repo, pins, integrations, tokens, executor, audit, redactor, logger },
      agents: new SqlAgentStore({ db: store.db }),
      reports: reportStore,
      tasks: new SqlAgentTaskStore({ db: store.db }),
      taskTimeoutMs: opts.agentTaskTimeoutMs,
      onTaskQueued: () => coord.notifier.publish('tasks'),
      images: enrichment.images,
      leaseMs: opts.reportLeaseMs,
      pollMs: opts.reportPollMs,
    });
    woken.hub = agents;

    const unfollow = followReplicas(coord.notifier, {
      syncConfig: async () => {
        await pins.reload();
        return opened.sync();
      },
      wakeRunner: (rt) => runner.notify(rt),
      wakeAgents: (rt) => (rt ? agents.dispatch.notify(rt) : agents.dispatch.notifyAll()),
      logger,
    });
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
      localRuntime: local,
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
      clientAddress: clientAddressResolver(trusted),
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
        unfollow();
        liveRepo.stopAutoSync();
        await runner.stop();
        await coord.notifier.close();
        await new Promise<void>((ok) => server.close(() => ok()));
        await store.close();
        await rm(join(dataDir, 'server.json'), { force: true });
        if (opts.registerPointer) await removePointer(process.pid);
        await lock.release();
      },
    };
  } catch (err) {
    repo?.stopAutoSync();
    await coord.notifier.close();
    await store.close().catch(() => undefined);
    throw err;
  }
}

function databaseUrl(opts: Opts, dataDir: string): string {
  return opts.database ?? `sqlite:${join(dataDir, 'imagetrail.db')}`;
}

async function openStore(opts: Opts, dataDir: string, { redactor, logger }: Ctx) {
  const store = openDatabase(databaseUrl(opts, dataDir), {
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
async function bootstrap(
  runtimes: RuntimeService,
  name: string | undefined,
  version: string,
  logger: Logger,
) {
  try {
    await runtimes.ensureBootstrap(name, version);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    logger.error(
      { err },
      `cannot register the ${name ? `in-process runtime ${name}` : 'control plane'}: ${err.message}`,
    );
  }
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
