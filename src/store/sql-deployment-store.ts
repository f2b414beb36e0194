import type { Kysely, Selectable, Transaction } from 'kysely';
import {
  MAX_OPEN_INTERVALS_PER_RUNTIME,
  OBSERVER_LEASE_MS,
  type DeploymentInterval,
  type DeploymentKey,
  type DeploymentPage,
  type ObservationBatch,
} from '../contract/deployments.js';
import { InputError } from '../domain/errors.js';
import type {
  ApplyResult,
  DeploymentFilter,
  DeploymentStore,
  DiscoveredImage,
  RunningDigest,
  RunningLookups,
} from './deployment-store.js';
import type { Database, DeploymentIntervalsTable } from './schema.js';
import { createSortableIdGenerator } from './sortable-id.js';
import { keyColumns, upsertGroups } from './sql-deployment-apply.js';
import { knownDigests, imageIdOf, runningLookups } from './sql-deployment-images.js';
import { parseJson } from './sql-image-rows.js';

export interface SqlDeploymentStoreDeps {
  db: Kysely<Database>;
  now?: () => Date;
  /** How long a silent holder keeps the runtime's observation lease. Default OBSERVER_LEASE_MS. */
  leaseMs?: number;
  /** Open intervals per runtime. Default MAX_OPEN_INTERVALS_PER_RUNTIME. */
  maxOpenPerRuntime?: number;
}

type Row = Selectable<DeploymentIntervalsTable>;
type Batch = ObservationBatch & { removals: DeploymentKey[] };

export function intervalOf(r: Row): DeploymentInterval {
  const out: DeploymentInterval = {
    id: r.id,
    runtime: r.runtime,
    namespace: r.namespace,
    workloadKind: r.workload_kind,
    workloadName: r.workload_name,
    application: r.application,
    registry: r.registry,
    repository: r.repository,
    digest: r.digest,
    replicas: r.ended_at === null ? r.replicas : 0,
    firstSeenAt: r.first_seen_at,
    lastSeenAt: r.last_seen_at,
  };
  if (r.image !== null) out.image = r.image;
  if (r.ended_at !== null) out.endedAt = r.ended_at;
  if (r.app !== null) out.app = parseJson(r.app, {});
  return out;
}

function encodeCursor(r: Pick<Row, 'first_seen_at' | 'id'>): string {
  return Buffer.from(JSON.stringify([r.first_seen_at, r.id]), 'utf8').toString('base64url');
}

function decodeCursor(c: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'string'))
      return v as [string, string];
  } catch {
    // fall through
  }
  throw new InputError('Invalid deployment list cursor: pass back the nextCursor of the previous page.', {
    details: [{ path: 'cursor', message: 'malformed cursor' }],
  });
}

export class SqlDeploymentStore implements DeploymentStore {
  private readonly db: Kysely<Database>;
  private readonly now: () => Date;
  private readonly nextId = createSortableIdGenerator('dep_');

  constructor(private readonly deps: SqlDeploymentStoreDeps) {
    this.db = deps.db;
    this.now = deps.now ?? (() => new Date());
  }

  apply(runtime: string, batch: Batch): Promise<ApplyResult> {
    return this.db.transaction().execute(async (trx) => {
      const turn = await this.advanceCursor(trx, runtime, batch);
      if (turn !== 'apply') {
        const none = { applied: false, opened: 0, updated: 0, closed: 0, unknown: [] };
        return turn === 'duplicate'
          ? { ...none, duplicate: true }
          : { ...none, duplicate: false, standby: true };
      }
      const now = this.now().toISOString();
      const { opened, updated } = await upsertGroups(trx, batch.upserts, {
        runtime,
        observedAt: batch.observedAt,
        now,
        nextId: this.nextId,
      });
      const result = { applied: true, duplicate: false, opened, updated, closed: 0 };
      for (const k of batch.removals) {
        const r = await trx
          .updateTable('deployment_intervals')
          .set({ ended_at: k.endedAt, updated_at: now })
          .where('runtime', '=', runtime)
          .where((eb) => eb.and(keyColumns(k)))
          .where('ended_at', 'is', null)
          .executeTakeFirst();
        result.closed += Number(r.numUpdatedRows);
      }
      if (batch.kind === 'full' && batch.last !== false) {
        // Everything the full state did not name (every part shares observedAt) has gone.
        const r = await trx
          .updateTable('deployment_intervals')
          .set({ ended_at: batch.observedAt, updated_at: now })
          .where('runtime', '=', runtime)
          .where('ended_at', 'is', null)
          .where('last_seen_at', '<', batch.observedAt)
          .executeTakeFirst();
        result.closed += Number(r.numUpdatedRows);
      }
      // Counted once the batch's removals and a full state's close applied (a rollout at the limit swaps
      // groups); a full state's earlier parts count only what the state names so far.
      const partial = batch.kind === 'full' && batch.last === false;
      if (opened > 0) await this.checkOpenCount(trx, runtime, partial ? batch.observedAt : undefined);
      const unknown = await knownDigests(trx, batch.upserts);
      return { ...result, unknown };
    });
  }

  /**
   * Refuses a batch that would leave the runtime more open intervals than any cluster has (rolled back);
   * with `seenSince`, only those seen since then (the full state in progress) count.
   */
  private async checkOpenCount(
    trx: Transaction<Database>,
    runtime: string,
    seenSince?: string,
  ): Promise<void> {
    const max = this.deps.maxOpenPerRuntime ?? MAX_OPEN_INTERVALS_PER_RUNTIME;
    const { n } = await trx
      .selectFrom('deployment_intervals')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('runtime', '=', runtime)
      .where('ended_at', 'is', null)
      .$if(seenSince !== undefined, (qb) => qb.where('last_seen_at', '>=', seenSince ?? ''))
      .executeTakeFirstOrThrow();
    if (Number(n) > max)
      throw new InputError(
        `Runtime "${runtime}" would run more than ${max} (workload, application, digest) groups at once; the batch was refused.`,
        {
          details: [{ path: 'upserts', message: `more than ${max} open deployment intervals` }],
          hints: ['An observer that reports this much is broken, or not watching one cluster.'],
        },
      );
  }

  /**
   * Whose turn it is. `duplicate`: a replay of the holder (sequence at or below the last applied).
   * `standby`: another observer of the runtime holds the lease (heard from within leaseMs, not released),
   * or won a concurrent takeover. The writes compare and set, so two control-plane replicas never both
   * hand the lease out.
   */
  private async advanceCursor(
    trx: Transaction<Database>,
    runtime: string,
    b: Batch,
  ): Promise<'apply' | 'duplicate' | 'standby'> {
    const row = await trx
      .selectFrom('deployment_observers')
      .selectAll()
      .where('runtime', '=', runtime)
      .executeTakeFirst();
    const now = this.now();
    if (row && row.observer_id === b.observerId && Number(row.sequence) >= b.sequence) return 'duplicate';
    if (row && row.observer_id !== b.observerId && row.heard_at !== null) {
      const lease = this.deps.leaseMs ?? OBSERVER_LEASE_MS;
      if (now.getTime() - Date.parse(row.heard_at) < lease) return 'standby';
    }
    const values = {
      observer_id: b.observerId,
      sequence: b.sequence,
      last_batch_at: b.observedAt,
      last_full_at: b.kind === 'full' ? b.observedAt : (row?.last_full_at ?? null),
      heard_at: b.release ? null : now.toISOString(),
    };
    const lost = b.observerId === row?.observer_id ? 'duplicate' : 'standby';
    if (row) {
      const r = await trx
        .updateTable('deployment_observers')
        .set(values)
        .where('runtime', '=', runtime)
        .where('observer_id', '=', row.observer_id)
        .where('sequence', '=', row.sequence)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1 ? 'apply' : lost;
    }
    const r = await trx
      .insertInto('deployment_observers')
      .values({ runtime, ...values })
      .onConflict((oc) => oc.column('runtime').doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) === 1 ? 'apply' : lost;
  }

  async list(filter: DeploymentFilter, page: { limit: number; cursor?: string }): Promise<DeploymentPage> {
    const cursor = page.cursor !== undefined ? decodeCursor(page.cursor) : undefined;
    const rows = await this.filtered(filter)
      .$if(cursor !== undefined, (qb) => {
        const [at, id] = cursor ?? ['', ''];
        return qb
          .where('first_seen_at', '<=', at)
          .where((eb) => eb.or([eb('first_seen_at', '<', at), eb('id', '<', id)]));
      })
      .orderBy('first_seen_at', 'desc')
      .orderBy('id', 'desc')
      .limit(page.limit + 1)
      .execute();
    const items = rows.slice(0, page.limit);
    const last = items.at(-1);
    return rows.length > page.limit && last
      ? { items: items.map(intervalOf), nextCursor: encodeCursor(last) }
      : { items: items.map(intervalOf) };
  }

  private filtered(f: DeploymentFilter) {
    return this.db
      .selectFrom('deployment_intervals')
      .selectAll()
      .$if(f.runtime !== undefined, (qb) => qb.where('runtime', '=', f.runtime ?? ''))
      .$if(f.application !== undefined, (qb) => qb.where('application', '=', f.application ?? ''))
      .$if(f.namespace !== undefined, (qb) => qb.where('namespace', '=', f.namespace ?? ''))
      .$if(f.digest !== undefined, (qb) => qb.where('digest', '=', f.digest ?? ''))
      .$if(f.workloadKind !== undefined, (qb) => qb.where('workload_kind', '=', f.workloadKind ?? ''))
      .$if(f.workloadName !== undefined, (qb) => qb.where('workload_name', '=', f.workloadName ?? ''))
      .$if(f.active === true, (qb) => qb.where('ended_at', 'is', null))
      .$if(f.active === false, (qb) => qb.where('ended_at', 'is not', null));
  }

  async forDigests(
    registry: string,
    repository: string,
    digests: readonly string[],
  ): Promise<DeploymentInterval[]> {
    if (digests.length === 0) return [];
    const rows = await this.db
      .selectFrom('deployment_intervals')
      .selectAll()
      .where('digest', 'in', [...digests])
      .where('registry', '=', registry)
      .where('repository', '=', repository)
      .orderBy('first_seen_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1000)
      .execute();
    return rows.map(intervalOf);
  }

  async forApplication(filter: DeploymentFilter, limit: number): Promise<DeploymentInterval[]> {
    const rows = await this.filtered(filter)
      .orderBy('first_seen_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(intervalOf);
  }

  async openIntervals(filter: DeploymentFilter, limit: number): Promise<DeploymentInterval[]> {
    const rows = await this.filtered({ ...filter, active: true })
      .orderBy('application')
      .orderBy('first_seen_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map(intervalOf);
  }

  async recordDiscovered(d: DiscoveredImage): Promise<boolean> {
    const r = await this.db
      .insertInto('discovered_images')
      .values({
        registry: d.registry,
        repository: d.repository,
        digest: d.digest,
        runtime: d.runtime,
        integration: d.integration ?? null,
        report_id: d.reportId ?? null,
        problem: d.problem ?? null,
        discovered_at: d.discoveredAt,
      })
      .onConflict((oc) => oc.columns(['registry', 'repository', 'digest']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async discovered(registry: string, repository: string, digest: string): Promise<DiscoveredImage | null> {
    const r = await this.db
      .selectFrom('discovered_images')
      .selectAll()
      .where('registry', '=', registry)
      .where('repository', '=', repository)
      .where('digest', '=', digest)
      .executeTakeFirst();
    if (!r) return null;
    const out: DiscoveredImage = {
      registry: r.registry,
      repository: r.repository,
      digest: r.digest,
      runtime: r.runtime,
      discoveredAt: r.discovered_at,
    };
    if (r.integration !== null) out.integration = r.integration;
    if (r.report_id !== null) out.reportId = r.report_id;
    if (r.problem !== null) out.problem = r.problem;
    return out;
  }

  imageIdOf(d: RunningDigest): Promise<string | null> {
    return imageIdOf(this.db, d);
  }

  runningLookups(ds: readonly RunningDigest[]): Promise<RunningLookups> {
    return runningLookups(this.db, ds);
  }
}
