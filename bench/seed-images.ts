import { randomBytes } from 'node:crypto';
import { PostgresIntrospector, sql, type Kysely } from 'kysely';
import type { Database } from '../src/store/schema.js';

/**
 * Bulk-inserts synthetic images (+ tags, one build each, some issue links) for the list benchmarks:
 * 100k on SQLite, 1M on PostgreSQL. Set-based: each chunk is one `INSERT … SELECT` per table over a
 * series of row numbers (`generate_series` on PostgreSQL, a recursive CTE on SQLite), computed by the
 * database itself, so nothing crosses the wire per row. The rows are those the image store writes: the
 * same tables and indexes, including the copies of `updated_at` that migration 0008's indexes read.
 *
 * The data has the shape the filters care about: ~500 repositories over 20 teams, 10% on a second
 * registry, a `latest` tag on 1% of images, 1 build in 7 on a feature branch, 1 in 5 linked to one of
 * 1000 issues (SEED-1 … SEED-1000), unique digests and commit SHAs spread over the hex range (a
 * multiplicative hash of the row number, so a 12-digit commit prefix matches one build), and distinct
 * `updated_at` values.
 */

export interface SeedOptions {
  /** Rows per chunk (one transaction of four INSERT … SELECT). Default 50 000. */
  batchSize?: number;
  /** First `updated_at`; each image is 1 ms newer than the previous. Default 2024-01-01. */
  start?: Date;
  /** Called after each chunk with the number of images written so far. */
  progress?: (images: number) => void;
}

export interface SeedResult {
  images: number;
  tags: number;
  builds: number;
  buildIssues: number;
  ms: number;
  /** The run's id, part of every seeded id (`img_seed<run><9-digit row>`). */
  run: string;
}

const ISSUE_COUNT = 1000;

/** The few expressions that differ between the two engines. */
interface Dialect {
  /** A row source `s(i)` for i = from … to - 1 (64-bit: the hash multiplies it). */
  series(from: number, to: number): string;
  pad9(e: string): string;
  hex8(e: string): string;
  /** `start + e` milliseconds as the ISO-8601 text the store writes (`2024-01-01T00:00:00.000Z`). */
  iso(startMs: number, e: string): string;
}

const POSTGRES: Dialect = {
  series: (from, to) => `generate_series(${from}::bigint, ${to - 1}) as s(i)`,
  pad9: (e) => `lpad((${e})::text, 9, '0')`,
  hex8: (e) => `lpad(to_hex(${e}), 8, '0')`,
  iso: (startMs, e) =>
    `to_char(timestamp '${new Date(startMs).toISOString().replace('T', ' ').replace('Z', '')}' + (${e}) * interval '1 millisecond', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
};

const SQLITE: Dialect = {
  series: (from, to) =>
    `(with recursive r(i) as (select ${from} union all select i + 1 from r where i < ${to - 1}) select i from r) as s`,
  pad9: (e) => `printf('%09d', ${e})`,
  hex8: (e) => `printf('%08x', ${e})`,
  iso: (startMs, e) => `strftime('%Y-%m-%dT%H:%M:%fZ', (${startMs} + (${e})) / 1000.0, 'unixepoch')`,
};

/** Per-row values shared by the four INSERTs: `i`, `seq`, `at`, `h` (64 hex digits), `repo`. */
function rows(d: Dialect, run: string, startMs: number, from: number, to: number): string {
  // Odd multipliers mod 2^32 are bijections: unique, evenly spread 8-digit words per row number.
  const mults = [2654435761, 2246822519, 3266489917, 668265263, 374761393, 3550635117, 1181783497];
  const words = mults.map((m) => d.hex8(`(i * ${m}) % 4294967296`));
  // The run is the second word, so seeding twice never repeats a digest and a 12-digit prefix stays unique.
  const h = [words[0], `'${run}'`, ...words.slice(1)].join(' || ');
  return `(select i, ${d.pad9('i')} as seq, ${d.iso(startMs, 'i')} as at, ${h} as h, i % 500 as repo
    from ${d.series(from, to)}) as v`;
}

function statements(d: Dialect, run: string, startMs: number, from: number, to: number): string[] {
  const v = rows(d, run, startMs, from, to);
  const img = `'img_seed${run}' || seq`;
  const bld = `'bld_seed${run}' || seq`;
  return [
    `insert into images (id, registry, repository, digest, media_type, size, registry_size, pushed_at, created_at,
       registry_type, labels, annotations, config, scan, layers, first_seen_at, updated_at)
     select ${img}, case when i % 10 = 0 then 'ghcr.io' else '123456789012.dkr.ecr.us-east-1.amazonaws.com' end,
       'team-' || (repo % 20) || '/service-' || repo, 'sha256:' || h,
       'application/vnd.oci.image.manifest.v1+json', 50000000 + (i % 1000) * 10000, null, at, at,
       case when i % 10 = 0 then 'registry.oci' else 'registry.ecr' end, '{}', '{}',
       '{"os":"linux","architecture":"amd64","historyCount":12}', null, '[]', at, at
     from ${v}`,
    // image_updated_at: the copies the list's tag, branch and issue indexes read (migration 0008).
    `insert into image_tags (image_id, tag, first_seen_at, image_updated_at)
     select ${img}, 'build-' || i, at, at from ${v}
     union all select ${img}, 'latest', at, at from ${v} where i % 100 = 0`,
    `insert into builds (id, image_id, build_key, workflow_name, workflow_url, logs_url, ci_type, runtime,
       report_id, reported_at, git_provider, git_repo, git_branch, git_sha, image_updated_at)
     select ${bld}, ${img}, h, 'service-' || repo || '-ci', 'https://ci.example.com/runs/' || i, null,
       'github-actions', 'local', 'rep_seed${run}' || seq, at, 'github', 'acme/service-' || repo,
       case when i % 7 = 0 then 'feature/f-' || (i % 50) else 'main' end, substr(h, 1, 40), at
     from ${v}`,
    `insert into build_issues (build_id, issue_key, image_id, image_updated_at)
     select ${bld}, 'SEED-' || ((i % ${ISSUE_COUNT}) + 1), ${img}, at from ${v} where i % 5 = 0`,
  ];
}

/** How many of rows [from, to) have i % k = 0. */
const multiples = (from: number, to: number, k: number) => Math.floor((to - 1) / k) - Math.ceil(from / k) + 1;

export async function seedImages(
  db: Kysely<Database>,
  count: number,
  opts: SeedOptions = {},
): Promise<SeedResult> {
  const d = db.introspection instanceof PostgresIntrospector ? POSTGRES : SQLITE;
  const batchSize = Math.max(1, Math.trunc(opts.batchSize ?? 50_000));
  const startMs = (opts.start ?? new Date('2024-01-01T00:00:00.000Z')).getTime();
  // Per run, so seeding twice into one database never collides on ids, digests or build keys.
  const run = randomBytes(4).toString('hex');
  const began = performance.now();

  await sql
    .raw(
      `insert into issues (key, title, status, status_category, assignee, url, updated_at)
       select 'SEED-' || i, 'Seeded issue SEED-' || i, 'Done', 'done', null,
         'https://jira.example.com/browse/SEED-' || i, '${new Date(startMs).toISOString()}'
       from ${d.series(1, ISSUE_COUNT + 1)} where true
       on conflict (key) do nothing`,
    )
    .execute(db);

  for (let from = 0; from < count; from += batchSize) {
    const to = Math.min(count, from + batchSize);
    await db.transaction().execute(async (trx) => {
      for (const text of statements(d, run, startMs, from, to)) await sql.raw(text).execute(trx);
    });
    opts.progress?.(to);
  }

  return {
    images: count,
    tags: count + multiples(0, count, 100),
    builds: count,
    buildIssues: multiples(0, count, 5),
    ms: Math.round(performance.now() - began),
    run,
  };
}
