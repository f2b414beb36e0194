import * as z from 'zod';
import { InputError } from '../domain/errors.js';
import { ResourceName } from '../domain/names.js';
import { parseInput } from '../domain/parse.js';
import type { ReportStore } from '../store/report-store.js';
import { ReportStatus, type ReportView } from '../contract/images.js';

/** `GET /api/v1/image-reports` query: filters and a keyset cursor, newest first. */
export const ReportListParams = z
  .object({
    status: ReportStatus.optional(),
    runtime: ResourceName.optional(),
    /** The reported reference or a prefix of it, e.g. `<registry>/<repository>` for every tag. */
    image: z.string().min(1).max(1024).optional(),
    /** ISO 8601 time: reports accepted at or after it. */
    since: z.iso.datetime({ offset: true, message: 'since must be an ISO 8601 time' }).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    /** Opaque, from the previous page's `nextCursor`. */
    cursor: z.string().max(512).optional(),
  })
  .strict();
export type ReportListParams = z.input<typeof ReportListParams>;

export interface ReportPage {
  items: ReportView[];
  /** Present when there may be more; pass back as `cursor`. */
  nextCursor?: string;
}

function decodeCursor(cursor: string): string {
  let id: unknown;
  try {
    id = (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { id?: unknown }).id;
  } catch {
    id = undefined;
  }
  if (typeof id !== 'string' || !/^[\w-]{1,100}$/.test(id)) {
    throw new InputError('The cursor is not one this server gave out.', {
      details: [{ path: 'cursor', message: 'malformed' }],
      hints: ['Pass back the nextCursor of the previous page unchanged, or leave cursor out.'],
    });
  }
  return id;
}

export async function listReports(reports: ReportStore, raw: unknown): Promise<ReportPage> {
  const p = parseInput(ReportListParams, raw, 'report query');
  const rows = await reports.list({
    ...(p.status ? { status: p.status } : {}),
    ...(p.runtime ? { runtime: p.runtime } : {}),
    ...(p.image ? { image: p.image } : {}),
    ...(p.since ? { since: p.since } : {}),
    ...(p.cursor ? { beforeId: decodeCursor(p.cursor) } : {}),
    limit: p.limit + 1,
  });
  const items = rows.slice(0, p.limit);
  const last = items.at(-1);
  return rows.length > p.limit && last
    ? { items, nextCursor: Buffer.from(JSON.stringify({ id: last.id })).toString('base64url') }
    : { items };
}
