import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { ServerType } from '@hono/node-server';
import { DeploymentService } from '../deployments/deployment-service.js';
import { SqlDeploymentStore } from '../store/sql-deployment-store.js';
import type { DatabaseHandle } from '../store/database.js';
import { SqlSsoSessionStore } from '../store/sso-session-store.js';
import { createApp } from './app.js';
import type { clientAddressResolver } from './client-address.js';
import { DiskFullState } from './disk-full.js';
import { listenHttp } from './listen.js';
import { writePointer } from './pointer.js';
import { readinessChecks } from './readiness.js';
import { OidcClient } from './sso/oidc-client.js';
import type { SsoSettings } from './sso/settings.js';
import type { SsoDeps } from './routes/sso.js';
import type { ServiceParts, Composition } from './compose-services.js';

export interface HttpSettings {
  version: string;
  sso: SsoSettings | undefined;
  clientAddress: ReturnType<typeof clientAddressResolver>;
}

/** Builds the API on the composed services and serves it; returns the server and the URL it is reached at. */
export async function composeHttp(
  c: Composition,
  services: ServiceParts,
  http: HttpSettings,
): Promise<{ server: ServerType; url: string }> {
  const { opts, dataDir, ctx, config, stores } = c;
  const { repo, reportStore } = config;
  const { enrichment, agents } = services;
  const { runner } = enrichment;
  const app = createApp({
    version: http.version,
    logger: ctx.logger,
    redactor: ctx.redactor,
    repo,
    tokens: config.tokens,
    audit: config.audit,
    integrations: services.integrations,
    runtimes: services.runtimes,
    reports: enrichment.reports,
    images: enrichment.images,
    pipeline: enrichment.pipeline,
    localRuntime: config.local,
    ...(opts.publicUrl ? { publicUrl: opts.publicUrl } : {}),
    metrics: config.metrics,
    ...(http.sso ? { sso: ssoDeps(http.sso, stores.store.db) } : {}),
    health: async () => ({ reports: { ...(await reportStore.counts()), inProgressHere: runner.busy } }),
    readiness: readinessChecks({ reports: reportStore, repo, runner }),
    diskFull: new DiskFullState(),
    agents,
    deployments: new DeploymentService({
      store: new SqlDeploymentStore({ db: stores.store.db }),
      images: enrichment.images,
      reports: reportStore,
      repo,
      onQueued: () => runner.notify(),
    }),
    clientAddress: http.clientAddress,
  });
  const server = await listenHttp(app.fetch, opts.port, opts.host);
  const url = await publish(server, opts.host, dataDir);
  if (opts.registerPointer) await writePointer({ url, pid: process.pid, dataDir });
  ctx.logger.info(
    { url, dataDir, configRepo: config.location.kind, database: stores.store.dialect },
    `imagetrail ${http.version} listening on ${url}`,
  );
  return { server, url };
}

function ssoDeps(settings: SsoSettings, db: DatabaseHandle['db']): SsoDeps {
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
