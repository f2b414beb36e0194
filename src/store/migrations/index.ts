import { Migrator, type Kysely, type Migration, type MigrationProvider, type MigrationResult } from 'kysely';
import { InternalError, UnavailableError } from '../../domain/errors.js';
import type { Database } from '../schema.js';
import { initial } from './0001-initial.js';
import { images } from './0002-images.js';
import { reportsAndIdentity } from './0003-reports-and-identity.js';
import { scopedIdempotency } from './0004-scoped-idempotency.js';
import { recipientPins } from './0005-recipient-pins.js';
import { buildDockerfile } from './0006-build-dockerfile.js';
import { auditFilters } from './0007-audit-filters.js';
import { indexListCopies } from './0008-index-list-copies.js';
import { ssoSessions } from './0009-sso-sessions.js';
import { agentRuntimeAgents } from './0010-agent-runtime-agents.js';
import { trackingDeployments } from './0011-tracking-deployments.js';
import { registrationRetry } from './0012-registration-retry.js';
import { agentTasks } from './0013-agent-tasks.js';
import { observerLease } from './0014-observer-lease.js';
import { agentLeft } from './0015-agent-left.js';

/**
 * Every migration, in order, as code: no directory scanning, so the list survives bundling by esbuild.
 * Names sort in execution order (Kysely sorts by name); never rename or edit one that has shipped —
 * add a new one (expand, then contract in a later release).
 */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001-initial': initial,
  '0002-images': images,
  '0003-reports-and-identity': reportsAndIdentity,
  '0004-scoped-idempotency': scopedIdempotency,
  '0005-recipient-pins': recipientPins,
  '0006-build-dockerfile': buildDockerfile,
  '0007-audit-filters': auditFilters,
  '0008-index-list-copies': indexListCopies,
  '0009-sso-sessions': ssoSessions,
  '0010-agent-runtime-agents': agentRuntimeAgents,
  '0011-tracking-deployments': trackingDeployments,
  '0012-registration-retry': registrationRetry,
  '0013-agent-tasks': agentTasks,
  '0014-observer-lease': observerLease,
  '0015-agent-left': agentLeft,
};

export class CodeMigrationProvider implements MigrationProvider {
  constructor(private readonly list: Readonly<Record<string, Migration>> = migrations) {}
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve({ ...this.list });
  }
}

/** A migration failed; `results` says which ran, which failed and which were not attempted. */
export class MigrationFailedError extends InternalError {
  readonly results: readonly MigrationResult[];
  constructor(
    message: string,
    results: readonly MigrationResult[],
    options: { cause?: unknown; hints?: string[] } = {},
  ) {
    super(message, options);
    this.results = results;
  }
}

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ECONNRESET',
  '57P03',
  '3D000',
  '28P01',
  '28000',
]);

function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CONNECTION_ERROR_CODES.has(code);
}

/**
 * Brings the schema up to date and returns one result per migration that ran. Kysely's migrator takes a
 * lock, so several processes starting at once on one PostgreSQL database are safe.
 */
export async function migrateToLatest(
  db: Kysely<Database>,
  list: Readonly<Record<string, Migration>> = migrations,
): Promise<MigrationResult[]> {
  const migrator = new Migrator({ db, provider: new CodeMigrationProvider(list) });
  const { error, results } = await migrator.migrateToLatest();
  if (error === undefined) return [...(results ?? [])];

  if (isConnectionError(error)) {
    throw new UnavailableError('cannot reach the database to migrate it', {
      cause: error,
      hints: [
        'Check that the database server is running and the --database URL (host, port, user, database) is right.',
      ],
    });
  }
  const failed = results?.find((r) => r.status === 'Error');
  const message = failed
    ? `database migration ${failed.migrationName} failed: ${errorMessage(error)}`
    : `database migrations could not run: ${errorMessage(error)}`;
  throw new MigrationFailedError(message, results ?? [], {
    cause: error,
    hints: failed
      ? [
          'Fix the cause named above and start again; migrations that completed are recorded and will not run twice.',
        ]
      : [
          'If the database was migrated by a newer imagetrail, run that version (downgrades are not supported).',
        ],
  });
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
