import { PostgresIntrospector, type Kysely } from 'kysely';
import { InternalError } from '../domain/errors.js';
import { ImageReportInput, type ReportStatus, type ReportStep, type ReportView } from '../contract/images.js';
import type { DialectName } from './database.js';
import {
  ClaimOptions,
  EMPTY_COUNTS,
  EXHAUSTED_SWEEP_MS,
  ReportListQuery,
  leasedStart,
  handedJob,
  parseEnqueue,
  parseLeaseMs,
  parseStep,
  fitSteps,
  reportHash,
  retryDelayMs,
  type ClaimedJob,
  type EnqueueOptions,
  type EnqueueResult,
  type FailOptions,
  type FailOutcome,
  type QueueStat,
  type ReportStore,
} from './report-store.js';
import type { Database } from './schema.js';
import { appended, succeededUpdate, toView } from './sql-report-rows.js';
import { createSortableIdGenerator } from './sortable-id.js';
import { prefixEnd } from './image-store.js';
import { parseInput } from '../domain/parse.js';

export interface SqlReportStoreDeps {
  db: Kysely<Database>;
  /**
   * PostgreSQL claims with `FOR UPDATE SKIP LOCKED`; SQLite has one writer at a time and needs no lock
   * clause. Detected from the Kysely instance when absent (a `DatabaseHandle` can be passed as deps).
   */
  dialect?: DialectName;
  /** Injected so tests control timestamps. */
  now?: () => Date;
}

export class SqlReportStore implements ReportStore {
  private readonly db: Kysely<Database>;
  private readonly dialect: DialectName;
  private readonly now: () => Date;
  private readonly nextId = createSortableIdGenerator('rep_');
  private lastSweep = Number.NEGATIVE_INFINITY;

  constructor(deps: SqlReportStoreDeps) {
    this.db = deps.db;
    this.dialect =
      deps.dialect ?? (deps.db.introspection instanceof PostgresIntrospector ? 'postgres' : 'sqlite');
    this.now = deps.now ?? (() => new Date());
  }

  async enqueue(rawInput: ImageReportInput, rawOpts: EnqueueOptions): Promise<EnqueueResult> {
    const { input, opts } = parseEnqueue(rawInput, rawOpts);
    const now = this.now();
    const at = now.toISOString();
    const id = this.nextId(now);
    const hash = reportHash(input, opts.runtime);
    const start = leasedStart(opts.lease, now);
    const values = {
      id,
      status: start.status,
      input: JSON.stringify(input),
      image: input.image,
      runtime: opts.runtime,
      attempts: start.attempts,
      max_attempts: opts.maxAttempts,
      lease_owner: start.owner,
      lease_until: start.until,
      next_attempt_at: start.until ?? at,
      error_message: null,
      error_class: null,
      steps: '[]',
      result_image_id: null,
      result_digest: null,
      idempotency_key: null,
      idem_scope: opts.idempotencyKey ? opts.idempotencyScope : null,
      idem_key: opts.idempotencyKey ?? null,
      input_hash: hash,
      created_at: at,
      updated_at: at,
    };
    const row = await this.db
      .insertInto('image_reports')
      .values(values)
      // A concurrent enqueue with the same key waits for ours on PostgreSQL, then does nothing.
      .onConflict((oc) => oc.columns(['idem_scope', 'idem_key']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (row) {
      const report = toView(values);
      if (!start.until) return { id: row.id, created: true, report };
      const claimed = handedJob(id, input, opts, start.until, at);
      return { id: row.id, created: true, report, claimed };
    }

    const existing = await this.db
      .selectFrom('image_reports')
      .selectAll()
      .where('idem_scope', '=', opts.idempotencyScope)
      .where('idem_key', '=', opts.idempotencyKey ?? null)
      .executeTakeFirst();
    if (!existing)
      throw new InternalError('enqueue conflicted on an idempotency key that then did not exist');
    const report = toView(existing);
    return existing.input_hash === hash
      ? { id: existing.id, created: false, report }
      : { id: existing.id, created: false, report, differentInput: true };
  }

  async get(id: string): Promise<ReportView | null> {
    const row = await this.db.selectFrom('image_reports').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toView(row) : null;
  }

  async claim(rawOpts: ClaimOptions): Promise<ClaimedJob | null> {
    const opts = parseInput(ClaimOptions, rawOpts, 'claim options');
    const now = opts.now ?? this.now();
    const at = now.toISOString();
    const until = new Date(now.getTime() + opts.leaseMs).toISOString();
    const pg = this.dialect === 'postgres';
    const only = opts.runtimes;
    if (only && only.length === 0) return null;

    // One statement: pick and take in a single atomic step. On PostgreSQL, SKIP LOCKED makes concurrent
    // claimers pass over a row another is taking instead of queueing behind it (and then finding it gone);
    // the row lock also re-checks the condition on the newest row version. On SQLite, an UPDATE takes the
    // write lock before it reads, so the subquery and the update see one state across connections and
    // processes (others wait up to busy_timeout).
    const row = await this.db
      .updateTable('image_reports')
      .set((eb) => ({
        status: 'running',
        lease_owner: opts.owner,
        lease_until: until,
        next_attempt_at: until,
        attempts: eb('attempts', '+', 1),
        updated_at: at,
      }))
      // Repeated outside the subquery: PostgreSQL re-checks these on the newest row version after a lock
      // wait, so even without SKIP LOCKED a job another worker just took is not taken twice.
      .where('next_attempt_at', '<=', at)
      .where('status', 'in', ['queued', 'running'])
      .whereRef('attempts', '<', 'max_attempts')
      .where('id', '=', (eb) =>
        eb
          .selectFrom('image_reports')
          .select('id')
          .where('next_attempt_at', '<=', at)
          .where('status', 'in', ['queued', 'running'])
          .whereRef('attempts', '<', 'max_attempts')
          .$if(only !== undefined, (qb) => qb.where('runtime', 'in', only ?? []))
          .orderBy('next_attempt_at')
          .orderBy('id')
          .limit(1)
          .$if(pg, (qb) => qb.forUpdate().skipLocked()),
      )
      .returning(['id', 'input', 'runtime', 'attempts', 'max_attempts', 'lease_until', 'created_at'])
      .executeTakeFirst();

    if (!row) {
      if (Math.abs(now.getTime() - this.lastSweep) >= EXHAUSTED_SWEEP_MS) {
        this.lastSweep = now.getTime();
        await this.failExhaustedLeases(at);
      }
      return null;
    }
    return {
      id: row.id,
      input: ImageReportInput.parse(JSON.parse(row.input)),
      runtime: row.runtime ?? '',
      attempts: row.attempts,
      maxAttempts: row.max_attempts,
      leaseUntil: row.lease_until ?? until,
      createdAt: row.created_at,
    };
  }

  /**
   * A job whose worker died on its last allowed attempt would otherwise stay `running` forever. Done only
   * when nothing was claimable, so a long queue does not pay for it on every claim.
   */
  private async failExhaustedLeases(at: string): Promise<void> {
    await this.db
      .updateTable('image_reports')
      .set({
        status: 'failed',
        next_attempt_at: null,
        error_message: 'the worker stopped responding (its lease expired) on the last allowed attempt',
        error_class: 'LeaseExpired',
        updated_at: at,
      })
      .where('next_attempt_at', '<=', at)
      .where('status', '=', 'running')
      .whereRef('attempts', '>=', 'max_attempts')
      .execute();
  }

  async heartbeat(id: string, owner: string, leaseMs: number, steps?: ReportStep[]): Promise<boolean> {
    const ms = parseLeaseMs(leaseMs);
    const more = fitSteps(steps);
    const now = this.now();
    const until = new Date(now.getTime() + ms).toISOString();
    const res = await this.db
      .updateTable('image_reports')
      .set({
        lease_until: until,
        next_attempt_at: until,
        updated_at: now.toISOString(),
        ...(more.length > 0 ? { steps: appended(more) } : {}),
      })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return res.numUpdatedRows > 0n;
  }

  async appendStep(id: string, owner: string, rawStep: ReportStep): Promise<boolean> {
    const res = await this.db
      .updateTable('image_reports')
      .set({
        steps: appended([parseStep(rawStep)]),
        updated_at: this.now().toISOString(),
      })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return res.numUpdatedRows > 0n;
  }

  async succeed(
    id: string,
    owner: string,
    result: { imageId: string; digest: string },
    steps?: ReportStep[],
  ): Promise<boolean> {
    const res = await succeededUpdate(
      this.db,
      { id, owner },
      result,
      steps,
      this.now().toISOString(),
    ).executeTakeFirst();
    return res.numUpdatedRows > 0n;
  }

  async fail(id: string, owner: string, failure: FailOptions): Promise<FailOutcome> {
    const more = fitSteps(failure.steps);
    const row = await this.db
      .selectFrom('image_reports')
      .select(['attempts', 'max_attempts'])
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (!row) return false;

    const now = this.now();
    const retry = failure.retryable && row.attempts < row.max_attempts;
    const nextAttemptAt = retry
      ? (failure.retryAt ?? new Date(now.getTime() + retryDelayMs(row.attempts))).toISOString()
      : null;
    const res = await this.db
      .updateTable('image_reports')
      .set({
        ...(more.length > 0 ? { steps: appended(more) } : {}),
        status: retry ? 'queued' : 'failed',
        lease_until: null,
        next_attempt_at: nextAttemptAt,
        error_message: failure.message.slice(0, 4000),
        error_class: failure.errorClass ?? null,
        updated_at: now.toISOString(),
      })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'running')
      // The attempt read above is the fence: a re-claim in between (lease expired, attempts + 1) wins.
      .where('attempts', '=', row.attempts)
      .executeTakeFirst();
    if (res.numUpdatedRows === 0n) return false;
    return nextAttemptAt === null ? { status: 'failed' } : { status: 'queued', nextAttemptAt };
  }

  async release(id: string, owner: string): Promise<boolean> {
    const at = this.now().toISOString();
    const res = await this.db
      .updateTable('image_reports')
      .set((eb) => ({
        status: 'queued',
        lease_until: null,
        next_attempt_at: at,
        attempts: eb('attempts', '-', 1),
        updated_at: at,
      }))
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'running')
      .where('attempts', '>', 0)
      .executeTakeFirst();
    return res.numUpdatedRows > 0n;
  }

  async holder(id: string): Promise<{ status: ReportStatus; runtime: string; owner: string | null } | null> {
    const row = await this.db
      .selectFrom('image_reports')
      .select(['status', 'runtime', 'lease_owner'])
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? { status: row.status, runtime: row.runtime ?? '', owner: row.lease_owner } : null;
  }

  async counts(): Promise<Record<ReportStatus, number>> {
    const rows = await this.db
      .selectFrom('image_reports')
      .select((eb) => ['status', eb.fn.countAll<string | number>().as('n')])
      .groupBy('status')
      .execute();
    const out = { ...EMPTY_COUNTS };
    for (const r of rows) out[r.status] = Number(r.n);
    return out;
  }

  async queueStats(): Promise<QueueStat[]> {
    const rows = await this.db
      .selectFrom('image_reports')
      .where('status', '=', 'queued')
      .select((eb) => [
        'runtime',
        eb.fn.countAll<string | number>().as('n'),
        eb.fn.min('created_at').as('oldest'),
      ])
      .groupBy('runtime')
      .execute();
    return rows.map((r) => ({ runtime: r.runtime ?? '', queued: Number(r.n), oldestCreatedAt: r.oldest }));
  }

  async list(query: ReportListQuery = {}): Promise<ReportView[]> {
    const q = parseInput(ReportListQuery, query, 'report list query');
    const { status, limit } = q;
    const rows = await this.db
      .selectFrom('image_reports')
      .selectAll()
      .$if(status !== undefined, (qb) => qb.where('status', '=', status ?? 'queued'))
      .$if(q.runtime !== undefined, (qb) => qb.where('runtime', '=', q.runtime ?? ''))
      .$if(q.image !== undefined, (qb) =>
        qb.where('image', '>=', q.image ?? '').where('image', '<', prefixEnd(q.image ?? '')),
      )
      .$if(q.since !== undefined, (qb) => qb.where('created_at', '>=', new Date(q.since ?? 0).toISOString()))
      .$if(q.beforeId !== undefined, (qb) => qb.where('id', '<', q.beforeId ?? ''))
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toView);
  }
}
