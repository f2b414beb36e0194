import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ServerType } from '@hono/node-server';
import { InputError } from '../domain/errors.js';
import { parseInput } from '../domain/parse.js';
import { createLogger } from '../logging/logger.js';
import { Redactor } from '../logging/redactor.js';
import type { ConfigRepo } from '../config-repo/workspace.js';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { makeDataDir } from './data-dir.js';
import { removePointer } from './pointer.js';
import { resolveSsoSettings } from './sso/settings.js';
import { parseTrustedProxies, clientAddressResolver } from './client-address.js';
import { readSharedSecrets } from './shared-secrets.js';
import { ServeOptions, type Ctx, type Opts } from './serve-options.js';
import { composeStore } from './compose-store.js';
import { composeConfig } from './compose-config.js';
import { composeServices, type Composition, type ServiceParts } from './compose-services.js';
import { composeHttp } from './compose-http.js';

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

/** The composition root: stores, configuration, services, then the API (each in its compose-*.ts). */
async function startLocked(
  opts: Opts,
  dataDir: string,
  lock: DataDirLock,
  ctx: Ctx,
  version: string,
  runtimeVersion: string,
): Promise<RunningServer> {
  // Before the store opens: a bad SSO setting fails the start with nothing to clean up.
  const sso = opts.oidc ? await resolveSsoSettings(opts.oidc, opts.publicUrl, ctx.redactor) : undefined;
  // Checked before the store opens: a bad secret file or proxy range is a usage error, nothing is touched.
  const secrets = await readSharedSecrets(opts, ctx.redactor);
  const clientAddress = clientAddressResolver(parseTrustedProxies(opts.trustedProxies));
  const stores = await composeStore(opts, dataDir, ctx);
  let repo: ConfigRepo | undefined;
  try {
    const config = await composeConfig(opts, dataDir, ctx, stores, secrets);
    repo = config.repo;
    const c: Composition = { opts, dataDir, ctx, runtimeVersion, stores, config, secrets };
    const services = await composeServices(c);
    const { server, url } = await composeHttp(c, services, { version, sso, clientAddress });
    // Started once the API listens; jobs a crashed process left running are taken over when their lease ends.
    services.enrichment.runner.start();
    return {
      url,
      ...(services.adminTokenFile ? { adminTokenFile: services.adminTokenFile } : {}),
      close: () => shutdown(c, services, server, lock),
    };
  } catch (err) {
    repo?.stopAutoSync();
    await stores.coord.notifier.close();
    await stores.store.close().catch(() => undefined);
    throw err;
  }
}

async function shutdown(
  c: Composition,
  services: ServiceParts,
  server: ServerType,
  lock: DataDirLock,
): Promise<void> {
  services.unfollow();
  c.config.tokens.close();
  c.config.repo.stopAutoSync();
  await services.enrichment.runner.stop();
  await c.stores.coord.notifier.close();
  await new Promise<void>((ok) => server.close(() => ok()));
  await c.stores.store.close();
  await rm(join(c.dataDir, 'server.json'), { force: true });
  if (c.opts.registerPointer) await removePointer(process.pid);
  await lock.release();
}
