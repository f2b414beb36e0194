import { mkdir, writeFile, chmod, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve as honoServe, type ServerType } from '@hono/node-server';
import * as z from 'zod';
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
import { SqlReportStore } from '../store/sql-report-store.js';
import { SqlImageStore } from '../store/sql-image-store.js';
import { EnrichmentPipeline } from '../enrichment/pipeline.js';
import { ReportRunner } from '../enrichment/runner.js';
import { ReportService } from '../enrichment/report-service.js';
import { GitHubGitEnricher } from '../enrichment/git-enricher.js';
import { JiraIssueEnricher } from '../enrichment/issue-enricher.js';
import { IntegrationService } from '../integrations/integration-service.js';
import { KeyStore } from '../runtimes/keys.js';
import { RuntimeExecutor } from '../runtimes/executor.js';
import { RuntimeService } from '../runtimes/runtime-service.js';
import { createApp } from './app.js';

export const ServeOptions = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  host: z.string().min(1).default('127.0.0.1'),
  dataDir: z.string().min(1).default('.imagetrail'),
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
  await mkdir(dataDir, { recursive: true, mode: 0o700 });

  const database = opts.database ?? `sqlite:${join(dataDir, 'imagetrail.db')}`;
  const store = openDatabase(database, {
    redactor,
    onPoolError: (err) => logger.warn({ err }, 'database connection error'),
  });
  await migrateToLatest(store.db);
  const tokens = new SqlTokenStore({ db: store.db });
  const audit = new SqlAuditStore({ db: store.db });

  const location = parseLocation(opts.configRepo ?? join(dataDir, 'shared-config'));
  const repo = await ConfigRepo.open({ location, workDir: join(dataDir, 'config-repo'), logger });
  const keys = new KeyStore(dataDir);
  const executor = new RuntimeExecutor({
    localRuntime: opts.runtimeName,
    redactor,
    requestTimeoutMs: opts.awsRequestTimeoutMs,
    maxAttempts: opts.awsMaxAttempts,
  });
  const integrations = new IntegrationService({ repo, keys, executor, redactor, logger, audit });
  const runtimes = new RuntimeService({ repo, keys, executor, integrations, logger });
  await runtimes.ensureBootstrap(opts.runtimeName, runtimeVersion);
  // Argo CD needs these, imagetrail does not: a failure (a protected branch, say) is logged, not fatal.
  await ensureClusterManifests(repo, logger).catch((err: unknown) => {
    logger.warn({ err }, 'config repo: cannot write the CRDs and Argo CD Applications');
  });

  const reportStore = new SqlReportStore({ db: store.db });
  const images = new SqlImageStore({ db: store.db });
  const pipeline = new EnrichmentPipeline({
    repo,
    keys,
    executor,
    redactor,
    logger,
    git: new GitHubGitEnricher({ keys, redactor }),
    issues: new JiraIssueEnricher({ keys, redactor }),
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
  });
  const reports = new ReportService({
    reports: reportStore,
    repo,
    localRuntime: opts.runtimeName,
    onAccepted: () => runner.notify(),
  });

  const adminTokenFile = await ensureAdminToken(tokens, dataDir, logger);
  for (const p of repo.snapshot().problems) {
    logger.warn({ file: p.file, path: p.path }, `shared configuration: ${p.message}`);
  }
  if (opts.syncIntervalSeconds > 0) repo.startAutoSync(opts.syncIntervalSeconds * 1000);

  const app = createApp({
    version,
    logger,
    redactor,
    repo,
    tokens,
    integrations,
    runtimes,
    reports,
    images,
    pipeline,
    localRuntime: opts.runtimeName,
    health: async () => ({ reports: { ...(await reportStore.counts()), inProgressHere: runner.busy } }),
  });
  const server: ServerType = await new Promise((ok, fail) => {
    const s = honoServe({ fetch: app.fetch, port: opts.port, hostname: opts.host }, () => ok(s));
    s.once('error', fail);
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `http://${host}:${port}`;
  // Lets local clients (the CLI, tests) find a server started on port 0.
  await writeFile(join(dataDir, 'server.json'), JSON.stringify({ url, pid: process.pid }) + '\n', {
    mode: 0o600,
  });
  logger.info(
    { url, dataDir, configRepo: location.kind, database: store.dialect },
    `imagetrail ${version} listening on ${url}`,
  );
  // Started once the API listens; jobs a crashed process left running are taken over when their lease ends.
  runner.start();

  return {
    url,
    ...(adminTokenFile ? { adminTokenFile } : {}),
    async close() {
      repo.stopAutoSync();
      await runner.stop();
      await new Promise<void>((ok) => server.close(() => ok()));
      await store.close();
      await rm(join(dataDir, 'server.json'), { force: true });
    },
  };
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
