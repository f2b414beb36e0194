import type { Command } from 'commander';
import type * as z from 'zod';
import { printJson, stdio, table } from '../output.js';
import { clientFor } from './common.js';

/** One page of a `… list` command: where it is read, what no match says, and its table. */
export interface ListPage<T> {
  schema: z.ZodType<{ items: T[]; nextCursor?: string | null }>;
  /** The API path, without the query. */
  path: string;
  query: URLSearchParams;
  /** Printed when nothing matches (`No reports match.`). */
  none: string;
  header: string[];
  row: (item: T) => string[];
}

/** Reads one page and prints it: the JSON answer as it is, or a table and how to get the next page. */
export async function printPage<T>(cmd: Command, json: boolean, p: ListPage<T>): Promise<void> {
  const out = stdio(json);
  const page = await (await clientFor(cmd)).call(p.schema, 'GET', `${p.path}?${p.query.toString()}`);
  if (out.json) return printJson(out, page);
  if (page.items.length === 0) return out.out(p.none);
  out.out(table([p.header, ...page.items.map(p.row)]));
  if (page.nextCursor) out.out(`(more: --cursor ${page.nextCursor})`);
}
