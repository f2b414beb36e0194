import type { ExpressionBuilder, Kysely, Selectable, SelectQueryBuilder } from 'kysely';
import {
  runningKey as keyOf,
  type DeploymentListFilter,
  type RunningDigest,
  type RunningLookups,
} from './deployment-store.js';
import type { Database, ImagesTable } from './schema.js';

/**
 * Where deployment intervals meet image records. A running digest belongs to an image when it is the
 * image's own digest, or one of its platforms (a node pulls the arm64 manifest of the index CI reported):
 * always within the same registry and repository.
 */

const CHUNK = 500;

function chunks<T>(list: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}

/** The digests among `running` that match no image (directly or as a platform) and were never discovered. */
export async function knownDigests(
  db: Kysely<Database>,
  running: readonly RunningDigest[],
): Promise<RunningDigest[]> {
  const wanted = new Map(running.map((d) => [keyOf(d), d]));
  const known = new Set<string>();
  for (const part of chunks([...new Set(running.map((d) => d.digest))])) {
    const [direct, platforms, discovered] = await Promise.all([
      db
        .selectFrom('images')
        .select(['registry', 'repository', 'digest'])
        .where('digest', 'in', part)
        .execute(),
      db
        .selectFrom('image_platforms as p')
        .innerJoin('images as i', 'i.id', 'p.image_id')
        .select(['i.registry', 'i.repository', 'p.digest'])
        .where('p.digest', 'in', part)
        .execute(),
      db
        .selectFrom('discovered_images')
        .select(['registry', 'repository', 'digest'])
        .where('digest', 'in', part)
        .execute(),
    ]);
    for (const r of [...direct, ...platforms, ...discovered]) known.add(keyOf(r));
  }
  return [...wanted.entries()].filter(([k]) => !known.has(k)).map(([, d]) => d);
}

export async function imageIdOf(db: Kysely<Database>, d: RunningDigest): Promise<string | null> {
  const direct = await db
    .selectFrom('images')
    .select('id')
    .where('registry', '=', d.registry)
    .where('repository', '=', d.repository)
    .where('digest', '=', d.digest)
    .executeTakeFirst();
  if (direct) return direct.id;
  const index = await db
    .selectFrom('image_platforms as p')
    .innerJoin('images as i', 'i.id', 'p.image_id')
    .select('i.id')
    .where('p.digest', '=', d.digest)
    .where('i.registry', '=', d.registry)
    .where('i.repository', '=', d.repository)
    .orderBy('i.updated_at', 'desc')
    .executeTakeFirst();
  return index?.id ?? null;
}

/** imageIdOf and discovered for many digests: three statements per 500 distinct digests. */
export async function runningLookups(
  db: Kysely<Database>,
  running: readonly RunningDigest[],
): Promise<RunningLookups> {
  const wanted = new Set(running.map(keyOf));
  const out: RunningLookups = { imageIds: new Map(), discovered: new Set() };
  const platformIds = new Map<string, string>();
  for (const part of chunks([...new Set(running.map((d) => d.digest))])) {
    const [direct, platforms, discovered] = await Promise.all([
      db
        .selectFrom('images')
        .select(['id', 'registry', 'repository', 'digest'])
        .where('digest', 'in', part)
        .execute(),
      db
        .selectFrom('image_platforms as p')
        .innerJoin('images as i', 'i.id', 'p.image_id')
        .select(['i.id', 'i.registry', 'i.repository', 'p.digest'])
        .where('p.digest', 'in', part)
        // The newest index first, as imageIdOf chooses.
        .orderBy('i.updated_at', 'desc')
        .execute(),
      db
        .selectFrom('discovered_images')
        .select(['registry', 'repository', 'digest'])
        .where('digest', 'in', part)
        .execute(),
    ]);
    for (const r of direct) if (wanted.has(keyOf(r))) out.imageIds.set(keyOf(r), r.id);
    for (const r of platforms)
      if (wanted.has(keyOf(r)) && !platformIds.has(keyOf(r))) platformIds.set(keyOf(r), r.id);
    for (const r of discovered) if (wanted.has(keyOf(r))) out.discovered.add(keyOf(r));
  }
  // An image of its own digest comes before an index listing it as a platform.
  for (const [k, id] of platformIds) if (!out.imageIds.has(k)) out.imageIds.set(k, id);
  return out;
}

/** A place an image runs: the columns of an open interval's key other than the image's own. */
const PLACE = ['d.runtime', 'd.namespace', 'd.workload_kind', 'd.workload_name', 'd.application'] as const;

/**
 * The list's "deployed in N" for the image row `p` of an enclosing query: the distinct places (runtime,
 * namespace, workload, application) with an open interval of its own digest or of one of its platforms',
 * in its registry and repository. A correlated subquery, so the count is part of the page's one statement
 * (ADR 0032); each branch is an index lookup per page row (`deployment_intervals_image_idx` by digest,
 * `image_platforms_pkey` by image), and `union` removes a place counted by both or by two platforms.
 */
export function openPlacesOf(eb: ExpressionBuilder<Database & { p: Selectable<ImagesTable> }, 'p'>) {
  const direct = eb
    .selectFrom('deployment_intervals as d')
    .select(PLACE)
    .whereRef('d.digest', '=', 'p.digest')
    .whereRef('d.registry', '=', 'p.registry')
    .whereRef('d.repository', '=', 'p.repository')
    .where('d.ended_at', 'is', null);
  const viaPlatform = eb
    .selectFrom('image_platforms as dp')
    .innerJoin('deployment_intervals as d', 'd.digest', 'dp.digest')
    .select(PLACE)
    .whereRef('dp.image_id', '=', 'p.id')
    .whereRef('d.registry', '=', 'p.registry')
    .whereRef('d.repository', '=', 'p.repository')
    .where('d.ended_at', 'is', null);
  return eb.selectFrom(direct.union(viaPlatform).as('places')).select((e) => e.fn.countAll().as('n'));
}

type Intervals = SelectQueryBuilder<Database, 'deployment_intervals', object>;

function scoped<QB extends Intervals>(qb: QB, f: DeploymentListFilter): QB {
  let q = qb.where('deployment_intervals.ended_at', 'is', null) as QB;
  if (f.runtime !== undefined) q = q.where('deployment_intervals.runtime', '=', f.runtime) as QB;
  if (f.application !== undefined) q = q.where('deployment_intervals.application', '=', f.application) as QB;
  if (f.namespace !== undefined) q = q.where('deployment_intervals.namespace', '=', f.namespace) as QB;
  return q;
}

/**
 * Ids of images running now (within the filter): a subquery for `images.id in (…)`. Driven by the open
 * intervals (a few thousand at most), each joined through the images unique key or the platforms' digest
 * index, so its cost does not grow with the number of images.
 */
export function deployedImageIds(eb: ExpressionBuilder<Database, 'images'>, f: DeploymentListFilter) {
  const direct = scoped(eb.selectFrom('deployment_intervals') as unknown as Intervals, f)
    .innerJoin('images as di', (j) =>
      j
        .onRef('di.registry', '=', 'deployment_intervals.registry')
        .onRef('di.repository', '=', 'deployment_intervals.repository')
        .onRef('di.digest', '=', 'deployment_intervals.digest'),
    )
    .select('di.id as id');
  const viaPlatform = scoped(eb.selectFrom('deployment_intervals') as unknown as Intervals, f)
    .innerJoin('image_platforms as dp', 'dp.digest', 'deployment_intervals.digest')
    .innerJoin('images as dpi', (j) =>
      j
        .onRef('dpi.id', '=', 'dp.image_id')
        .onRef('dpi.registry', '=', 'deployment_intervals.registry')
        .onRef('dpi.repository', '=', 'deployment_intervals.repository'),
    )
    .select('dpi.id as id');
  return direct.union(viaPlatform);
}
