import { InputError } from '../domain/errors.js';
import type { Logger } from '../logging/logger.js';
import { ensureClusterManifests } from '../config-repo/cluster-manifests.js';
import { IntegrationService } from '../integrations/integration-service.js';
import { RuntimeExecutor } from '../runtimes/executor.js';
import { RuntimeService } from '../runtimes/runtime-service.js';
import { AgentHub } from '../runtimes/agent-hub.js';
import { SqlAgentTaskStore } from '../store/sql-agent-task-store.js';
import { SqlAgentStore } from '../store/sql-agent-store.js';
import { buildEnrichment } from './enrichment-wiring.js';
import { followReplicas, startConfigSync } from './replication.js';
import { assertSharedIdentities, ensureAdminToken, type SharedSecrets } from './shared-secrets.js';
import type { ConfigParts } from './compose-config.js';
import type { StoreParts } from './compose-store.js';
import type { Ctx, Opts } from './serve-options.js';

/** What the server composes from its stores and configuration: the services the API and the agents use. */
export interface Composition {
  opts: Opts;
  dataDir: string;
  ctx: Ctx;
  runtimeVersion: string;
  stores: StoreParts;
  config: ConfigParts;
  secrets: SharedSecrets;
}

export type ServiceParts = Awaited<ReturnType<typeof composeServices>>;

/**
 * Builds the executor, the integration and runtime services, the report pipeline and the agent hub; registers
 * the bootstrap resources; follows the other replicas. Returns the parts and the first admin token's file.
 */
export async function composeServices(c: Composition) {
  const { opts, ctx, config, stores } = c;
  const { redactor, logger } = ctx;
  const { repo, keys, pins, audit, endpoints, local, metrics } = config;
  const executor = new RuntimeExecutor({
    localRuntime: local,
    redactor,
    requestTimeoutMs: opts.awsRequestTimeoutMs,
    maxAttempts: opts.awsMaxAttempts,
    telemetry: metrics,
    logger,
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
  const adminTokenFile = await bootstrapOnce(c, runtimes);
  // Reports for a remote hybrid runtime wait in the store for its agents, which are woken when one comes.
  const enrichment = buildEnrichment(opts, ctx, {
    notifyAgents: (runtime) => woken.hub?.dispatch.notify(runtime),
    handoffToAgent: (runtime) => woken.hub?.dispatch.offer(runtime) ?? null,
    db: stores.store.db,
    dialect: stores.store.dialect,
    reportStore: config.reportStore,
    repo,
    keys,
    executor,
    endpoints,
    metrics,
    coord: stores.coord,
  });
  const agents = new AgentHub({
    ...{ repo, pins, integrations, tokens: config.tokens, executor, audit, redactor, logger, keys },
    agents: new SqlAgentStore({ db: stores.store.db }),
    reports: config.reportStore,
    tasks: new SqlAgentTaskStore({ db: stores.store.db }),
    taskTimeoutMs: opts.agentTaskTimeoutMs,
    onTaskQueued: () => stores.coord.notifier.publish('tasks'),
    images: enrichment.images,
    leaseMs: opts.reportLeaseMs,
    pollMs: opts.reportPollMs,
  });
  woken.hub = agents;
  const unfollow = followConfig(c, enrichment.runner, agents);
  return { executor, integrations, runtimes, enrichment, agents, adminTokenFile, unfollow };
}

/** One replica at a time, seeing what the one before pinned and created (docs/replicas.md). */
function bootstrapOnce(c: Composition, runtimes: RuntimeService): Promise<string | undefined> {
  const { config, ctx } = c;
  const { pins, keys, local, repo } = config;
  return c.stores.coord.lock.run('bootstrap', async () => {
    await pins.reload();
    await assertSharedIdentities({ dialect: c.stores.store.dialect, keys, pins, localRuntime: local });
    await bootstrap(runtimes, local, c.runtimeVersion, ctx.logger);
    // Argo CD needs these, imagetrail does not: a failure (a protected branch, say) is logged, not fatal.
    await ensureClusterManifests(repo, ctx.logger).catch((err: unknown) => {
      ctx.logger.warn({ err }, 'config repo: cannot write the CRDs and Argo CD Applications');
    });
    return ensureAdminToken(
      { tokens: config.tokens, dataDir: c.dataDir, logger: ctx.logger },
      c.secrets.adminToken,
    );
  });
}

/** Follows the other replicas' changes and the configuration repository; returns the unfollow function. */
function followConfig(
  c: Composition,
  runner: { notify(runtime?: string): void },
  agents: AgentHub,
): () => void {
  const { repo, pins, metrics } = c.config;
  const { logger } = c.ctx;
  const unfollow = followReplicas(c.stores.coord.notifier, {
    syncConfig: async () => {
      await pins.reload();
      return repo.sync();
    },
    wakeRunner: (rt) => runner.notify(rt),
    wakeAgents: (rt) => (rt ? agents.dispatch.notify(rt) : agents.dispatch.notifyAll()),
    logger,
  });
  for (const p of repo.snapshot().problems) {
    logger.warn({ file: p.file, path: p.path }, `shared configuration: ${p.message}`);
  }
  if (c.opts.syncIntervalSeconds > 0) startConfigSync(repo, c.opts.syncIntervalSeconds, metrics, logger);
  return unfollow;
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
