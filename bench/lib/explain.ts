import { Kysely, PostgresDialect, type CompiledQuery } from 'kysely';
import pg from 'pg';
import type { ImageListQuery } from '../../src/contract/images.js';
import type { Database } from '../../src/store/schema.js';
import { SqlImageStore } from '../../src/store/sql-image-store.js';

export interface ListPlan {
  /** Statements one list request sends (the page, then its children in parallel). */
  statements: number;
  /** Sum of their `Execution Time` under EXPLAIN ANALYZE, ms. */
  executionMs: number;
  /** The page statement's scans, e.g. `Index Only Scan Backward using image_tags_tag_updated_idx`. */
  scans: string[];
}

/**
 * What the database does for each list query: the store's own statements (captured from its Kysely log, on a
 * connection set up as the server's: no parallel plans), each run again under EXPLAIN ANALYZE. Separates the
 * database's share of a list request from HTTP, auth and JSON in the same run.
 */
export async function explainList(
  url: string,
  queries: Record<string, ImageListQuery>,
): Promise<Record<string, ListPlan>> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  pool.on('connect', (c) => void c.query('SET max_parallel_workers_per_gather = 0'));
  const seen: CompiledQuery[] = [];
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log: (e) => void (e.level === 'query' && seen.push(e.query)),
  });
  try {
    const store = new SqlImageStore({ db, dialect: 'postgres' });
    const out: Record<string, ListPlan> = {};
    for (const [name, q] of Object.entries(queries)) {
      await store.list(q); // warm: the same pages in cache as for the timed requests
      seen.length = 0;
      await store.list(q);
      const plans: string[][] = [];
      for (const s of [...seen]) {
        const r = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ANALYZE ${s.sql}`, [...s.parameters]);
        plans.push(r.rows.map((x) => x['QUERY PLAN']));
      }
      out[name] = {
        statements: plans.length,
        executionMs: plans
          .map((p) => Number(/Execution Time: ([\d.]+)/.exec(p.join('\n'))?.[1] ?? NaN))
          .reduce((a, b) => a + b, 0),
        // The page's own scans: the lines before its children's correlated subplans.
        scans: pageLines(plans[0] ?? []).flatMap(
          (l) => /((?:Index Only |Index |Seq |Bitmap Heap )Scan[^(]*?)(?: on |\s+\()/.exec(l)?.[1] ?? [],
        ),
      };
    }
    return out;
  } finally {
    await db.destroy();
  }
}

function pageLines(plan: string[]): string[] {
  const sub = plan.findIndex((l) => /^\s*SubPlan/.test(l));
  return sub === -1 ? plan : plan.slice(0, sub);
}
