import type { Insertable, Selectable, Transaction } from 'kysely';
import type { DeploymentKey, ObservedGroup } from '../contract/deployments.js';
import type { Database, DeploymentIntervalsTable } from './schema.js';

/**
 * The upserts of one observation batch, in a constant number of statements (issue 13: a full-state part of
 * 300 groups cost one select and one write per group). One select loads every interval the batch can touch
 * (open, or closed after the earliest container start it names); the groups are applied in memory in batch
 * order, exactly as one-at-a-time statements would; the changed and new rows are written back with
 * multi-row `INSERT … ON CONFLICT (id) DO UPDATE`, which SQLite and PostgreSQL both run. The caller's
 * transaction makes it all or nothing, and the open-key unique index still refuses a second open interval.
 */

type Row = Selectable<DeploymentIntervalsTable>;

/** Rows per statement: 16 columns each, far below SQLite's 32,766 and PostgreSQL's 65,535 parameters. */
const ROWS_PER_STATEMENT = 250;
const DIGESTS_PER_SELECT = 500;

const keyString = (
  k: Pick<Row, 'namespace' | 'workload_kind' | 'workload_name' | 'application'> & DigestCols,
) =>
  JSON.stringify([
    k.namespace,
    k.workload_kind,
    k.workload_name,
    k.application,
    k.registry,
    k.repository,
    k.digest,
  ]);
type DigestCols = Pick<Row, 'registry' | 'repository' | 'digest'>;

export function keyColumns(k: DeploymentKey) {
  return {
    namespace: k.namespace,
    workload_kind: k.workloadKind,
    workload_name: k.workloadName,
    application: k.application,
    registry: k.registry,
    repository: k.repository,
    digest: k.digest,
  };
}

const min = (a: string, b: string) => (a < b ? a : b);
const max = (a: string, b: string) => (a > b ? a : b);

export interface UpsertContext {
  runtime: string;
  observedAt: string;
  now: string;
  nextId: () => string;
}

/** Every interval of the runtime the groups may update: open, or ended at or after the earliest start. */
async function candidates(
  trx: Transaction<Database>,
  runtime: string,
  groups: readonly ObservedGroup[],
): Promise<Map<string, Row[]>> {
  const byKey = new Map<string, Row[]>();
  const earliest = groups.reduce((m, g) => min(m, g.firstStartedAt), groups[0]?.firstStartedAt ?? '');
  const digests = [...new Set(groups.map((g) => g.digest))];
  for (let i = 0; i < digests.length; i += DIGESTS_PER_SELECT) {
    const rows = await trx
      .selectFrom('deployment_intervals')
      .selectAll()
      .where('runtime', '=', runtime)
      .where('digest', 'in', digests.slice(i, i + DIGESTS_PER_SELECT))
      .where((eb) => eb.or([eb('ended_at', 'is', null), eb('ended_at', '>=', earliest)]))
      .execute();
    for (const r of rows) {
      const k = keyString(r);
      byKey.set(k, [...(byKey.get(k) ?? []), r]);
    }
  }
  return byKey;
}

/**
 * The open interval of the key, else a closed one whose end is after this group's earliest container start:
 * it was closed wrongly (the containers ran all along, e.g. a full state sent while a watch was catching up),
 * and is reopened; the latest such.
 */
function targetOf(rows: readonly Row[], firstStartedAt: string): Row | undefined {
  const open = rows.find((r) => r.ended_at === null);
  if (open) return open;
  let best: Row | undefined;
  for (const r of rows)
    if (r.ended_at !== null && r.ended_at >= firstStartedAt && (!best || r.ended_at > (best.ended_at ?? '')))
      best = r;
  return best;
}

/** Applies the groups in order; returns how many intervals were opened and how many updated. */
export async function upsertGroups(
  trx: Transaction<Database>,
  groups: readonly ObservedGroup[],
  c: UpsertContext,
): Promise<{ opened: number; updated: number }> {
  if (groups.length === 0) return { opened: 0, updated: 0 };
  const byKey = await candidates(trx, c.runtime, groups);
  const dirty = new Map<string, Row>();
  let opened = 0;
  for (const g of groups) {
    const key = keyColumns(g);
    const k = keyString(key);
    const rows = byKey.get(k) ?? [];
    const attrs = { replicas: g.replicas, image: g.image ?? null, app: g.app ? JSON.stringify(g.app) : null };
    const target = targetOf(rows, g.firstStartedAt);
    const next: Row = target
      ? {
          ...target,
          ...attrs,
          ended_at: null,
          first_seen_at: min(target.first_seen_at, g.firstStartedAt),
          last_seen_at: max(target.last_seen_at, c.observedAt),
          updated_at: c.now,
        }
      : {
          id: c.nextId(),
          runtime: c.runtime,
          ...key,
          ...attrs,
          first_seen_at: g.firstStartedAt,
          last_seen_at: max(c.observedAt, g.firstStartedAt),
          ended_at: null,
          updated_at: c.now,
        };
    if (!target) opened++;
    byKey.set(k, [...rows.filter((r) => r.id !== next.id), next]);
    dirty.set(next.id, next);
  }
  await write(trx, [...dirty.values()]);
  return { opened, updated: groups.length - opened };
}

async function write(trx: Transaction<Database>, rows: readonly Insertable<DeploymentIntervalsTable>[]) {
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    await trx
      .insertInto('deployment_intervals')
      .values(rows.slice(i, i + ROWS_PER_STATEMENT))
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({
          replicas: eb.ref('excluded.replicas'),
          image: eb.ref('excluded.image'),
          app: eb.ref('excluded.app'),
          ended_at: eb.ref('excluded.ended_at'),
          first_seen_at: eb.ref('excluded.first_seen_at'),
          last_seen_at: eb.ref('excluded.last_seen_at'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
}
