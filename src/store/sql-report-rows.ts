import { sql, type Expression, type QueryCreator, type Selectable } from 'kysely';
import type { ReportStep, ReportView } from '../contract/images.js';
import { fitSteps } from './report-store.js';
import type { Database, ImageReportsTable } from './schema.js';

/** Rows of `image_reports` to and from what the report store answers (sql-report-store.ts). */

/**
 * `steps` with `more` appended, in SQL rather than read-modify-write, so two appends never lose one. `steps` is
 * always compact JSON written by this store, so splicing before the closing bracket is exact on both engines.
 */
export function appended(more: ReportStep[]) {
  const json = JSON.stringify(more);
  return sql<string>`case when steps = '[]' then ${json} else substr(steps, 1, length(steps) - 1) || ${`,${json.slice(1)}`} end`;
}

/**
 * The report marked succeeded with its result and steps, only while `owner` holds it and it runs: the one
 * write of a success, alone (ReportStore.succeed) or inside an agent's one-statement recording.
 */
export function succeededUpdate(
  qc: Pick<QueryCreator<Database>, 'updateTable'>,
  held: { id: string; owner: string },
  result: { imageId: string | Expression<string>; digest: string },
  steps: readonly ReportStep[] | undefined,
  at: string,
) {
  const more = fitSteps(steps);
  return qc
    .updateTable('image_reports')
    .set({
      ...(more.length > 0 ? { steps: appended(more) } : {}),
      status: 'succeeded',
      lease_until: null,
      next_attempt_at: null,
      error_message: null,
      error_class: null,
      result_image_id: result.imageId,
      result_digest: result.digest,
      updated_at: at,
    })
    .where('id', '=', held.id)
    .where('lease_owner', '=', held.owner)
    .where('status', '=', 'running');
}

export function toView(row: Selectable<ImageReportsTable>): ReportView {
  const view: ReportView = {
    id: row.id,
    status: row.status,
    attempts: row.attempts,
    image: imageOf(row.input),
    runtime: row.runtime,
    steps: stepsOf(row.steps),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.error_message !== null) {
    view.error =
      row.error_class === null
        ? { message: row.error_message }
        : { message: row.error_message, errorClass: row.error_class };
  }
  if (row.result_image_id !== null && row.result_digest !== null) {
    view.result = { imageId: row.result_image_id, digest: row.result_digest };
  }
  return view;
}

// Rows written by this store are valid; these stay lenient so one odd row cannot break a whole list.
function imageOf(json: string): string {
  try {
    const v = JSON.parse(json) as { image?: unknown };
    return typeof v.image === 'string' ? v.image : '';
  } catch {
    return '';
  }
}

function stepsOf(json: string): ReportStep[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? (v as ReportStep[]) : [];
  } catch {
    return [];
  }
}
