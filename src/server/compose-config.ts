import { join } from 'node:path';
import { parseEndpointPolicy, type EndpointPolicy } from '../domain/endpoints.js';
import { parseLocation, type ConfigRepoLocation } from '../config-repo/location.js';
import { ConfigRepo } from '../config-repo/workspace.js';
import { KeyStore } from '../config-repo/keys.js';
import { SqlTokenStore } from '../store/sql-token-store.js';
import { CachingTokenStore } from './token-cache.js';
import { SqlAuditStore } from '../store/sql-audit-store.js';
import { SqlRecipientPinStore } from '../store/recipient-pin-store.js';
import { SqlReportStore } from '../store/sql-report-store.js';
import { createSealedVerifier } from '../integrations/sealed-verifier.js';
import { RecipientPins } from '../runtimes/recipient-pins.js';
import { PrometheusMetrics } from './metrics/prometheus.js';
import { sharedKeys, type SharedSecrets } from './shared-secrets.js';
import type { StoreParts } from './compose-store.js';
import type { Ctx, Opts } from './serve-options.js';

/** The stores, keys and the shared configuration repository every other part of the server reads. */
export interface ConfigParts {
  /** Verified tokens are remembered for up to a second, per replica (revocations notify the others). */
  tokens: CachingTokenStore;
  audit: SqlAuditStore;
  reportStore: SqlReportStore;
  location: ConfigRepoLocation;
  endpoints: EndpointPolicy;
  /** The in-process runtime's name; undefined with `--no-local-runtime`. */
  local: string | undefined;
  keys: KeyStore;
  metrics: PrometheusMetrics;
  pins: RecipientPins;
  repo: ConfigRepo;
}

export async function composeConfig(
  opts: Opts,
  dataDir: string,
  ctx: Ctx,
  { store, coord }: StoreParts,
  secrets: SharedSecrets,
): Promise<ConfigParts> {
  const { redactor, logger } = ctx;
  const reportStore = new SqlReportStore({ db: store.db });
  const audit = new SqlAuditStore({ db: store.db });
  const location = parseLocation(opts.configRepo ?? join(dataDir, 'shared-config'));
  const endpoints = parseEndpointPolicy(opts.allowEndpoints);
  const local = opts.localRuntime ? opts.runtimeName : undefined;
  const keys = new KeyStore(dataDir, sharedKeys(secrets, local));
  // Metrics come first (Git reports to them while the repository opens); runtimes are listed once it is.
  const opened: { repo?: ConfigRepo } = {};
  const metrics = new PrometheusMetrics({
    queueStats: () => reportStore.queueStats(),
    runtimes: () => opened.repo?.snapshot().runtimes.keys() ?? [],
  });
  // Recipients come from the store, not Git; every resource read from Git is checked against them and
  // against the binding sealed into each secret (docs/security.md).
  const pins = await RecipientPins.load(new SqlRecipientPinStore({ db: store.db }), audit, () =>
    coord.notifier.publish('config'),
  );
  const repo = await ConfigRepo.open({
    location,
    workDir: join(dataDir, 'config-repo'),
    journalFile: join(dataDir, 'config-repo-journal.json'),
    logger,
    endpoints,
    verify: createSealedVerifier({ keys, redactor, pins }),
    git: { telemetry: metrics },
    ...faultHook(),
    // Replicas write one at a time, each starting from what the one before pushed (no lost update).
    exclusive: (fn) => coord.lock.run('config-write', fn),
    onChanged: () => coord.notifier.publish('config'),
  });
  opened.repo = repo;
  metrics.configSynced(true);
  const tokens = new CachingTokenStore(new SqlTokenStore({ db: store.db }), { notifier: coord.notifier });
  return { tokens, audit, reportStore, location, endpoints, local, keys, metrics, pins, repo };
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
