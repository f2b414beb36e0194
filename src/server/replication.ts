import type { Kysely } from 'kysely';
import type { ConfigRepo } from '../config-repo/workspace.js';
import type { Logger } from '../logging/logger.js';
import type { PrometheusMetrics } from './metrics/prometheus.js';
import { createClusterLock, type ClusterLock } from '../store/cluster-lock.js';
import type { DialectName } from '../store/database.js';
import { createNotifier, type Notifier } from '../store/notify.js';
import type { Database } from '../store/schema.js';

/**
 * What makes N `imagetrail serve` processes on one PostgreSQL behave as one (ADR "replica coordination",
 * docs/replicas.md): a cluster-wide lock for configuration writes and the first-start bootstrap, and change
 * notifications so that each replica pulls the configuration and wakes its runner when another changed
 * them. On SQLite both are in-process equivalents (one process owns the data directory).
 */
export interface Coordination {
  lock: ClusterLock;
  notifier: Notifier;
}

export function openCoordination(deps: {
  db: Kysely<Database>;
  dialect: DialectName;
  databaseUrl: string;
  logger: Pick<Logger, 'warn'>;
}): Coordination {
  return {
    lock: createClusterLock(deps.db, deps.dialect),
    notifier: createNotifier({
      db: deps.db,
      databaseUrl: deps.databaseUrl,
      onError: (err) => deps.logger.warn({ err }, 'replica notifications: PostgreSQL LISTEN/NOTIFY failed'),
    }),
  };
}

export interface FollowTargets {
  /** Re-reads the recipient pins, then pulls the configuration repository. */
  syncConfig(): Promise<unknown>;
  /** Wakes idle report workers (for a report of `runtime`, when the notification said). */
  wakeRunner(runtime?: string): void;
  /**
   * Wakes the agents' waiting claims: of `runtime`, whose report another replica queued; of every runtime
   * when no runtime is said (a test or an inspection was queued, or notifications may have been lost).
   */
  wakeAgents?(runtime?: string): void;
  logger: Pick<Logger, 'warn'>;
}

/**
 * Applies other replicas' changes here. Configuration pulls are coalesced: a burst of notifications
 * during a pull causes one more pull after it, not one per notification.
 */
export function followReplicas(notifier: Notifier, targets: FollowTargets): () => void {
  let state: 'idle' | 'syncing' | 'again' = 'idle';
  const sync = (): void => {
    if (state !== 'idle') {
      state = 'again';
      return;
    }
    state = 'syncing';
    targets
      .syncConfig()
      .catch((err: unknown) =>
        targets.logger.warn({ err }, 'config repo: pull after a replica change failed'),
      )
      .finally(() => {
        const again = state === 'again';
        state = 'idle';
        if (again) sync();
      });
  };
  return notifier.subscribe((topic, runtimes) => {
    if (topic === 'reports') {
      for (const rt of runtimes ?? [undefined]) {
        targets.wakeRunner(rt);
        targets.wakeAgents?.(rt);
      }
    } else if (topic === 'tasks') targets.wakeAgents?.();
    else if (topic === 'config') sync();
    // `tokens` is heard by the token cache itself.
  });
}

/** The periodic pull of the shared configuration; its successes and failures feed /metrics. */
export function startConfigSync(
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
