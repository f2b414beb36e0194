import type { QueryCreator } from 'kysely';
import type { Database } from './schema.js';
import { StatementTemplate } from './statement-template.js';
import { buildUpsertOf, imageUpsertOf, type BuildValues, type ImageRow } from './sql-image-record.js';

/** Exactly the keys of T: the compiler says when one is missing or extra. */
function keysOf<T extends object>(keys: Record<keyof T, true>): Array<keyof T & string> {
  return Object.keys(keys) as Array<keyof T & string>;
}

const IMAGE_KEYS = keysOf<ImageRow>({
  id: true,
  registry: true,
  repository: true,
  digest: true,
  media_type: true,
  size: true,
  registry_size: true,
  pushed_at: true,
  created_at: true,
  registry_type: true,
  labels: true,
  annotations: true,
  config: true,
  scan: true,
  layers: true,
  first_seen_at: true,
  updated_at: true,
});

const BUILD_KEYS = keysOf<BuildValues>({
  id: true,
  build_key: true,
  workflow_name: true,
  workflow_url: true,
  logs_url: true,
  ci_type: true,
  runtime: true,
  report_id: true,
  reported_at: true,
  git_provider: true,
  git_repo: true,
  git_branch: true,
  git_sha: true,
  dockerfile: true,
  image_updated_at: true,
  image_id: true,
});

/** The recording's two upserts, the costliest statements to build, as templates compiled once per store. */
export interface RecordingStatements {
  image: StatementTemplate<keyof ImageRow, { id: string }>;
  build: StatementTemplate<keyof BuildValues, { id: string }>;
}

/** Compiled with `qc`'s dialect (compiling reads no data); bound and run in each recording's transaction. */
export function recordingStatements(qc: QueryCreator<Database>): RecordingStatements {
  return {
    image: new StatementTemplate(IMAGE_KEYS, (v) => imageUpsertOf(qc, v as ImageRow).returning('id')),
    build: new StatementTemplate(BUILD_KEYS, (v) => buildUpsertOf(qc, v as BuildValues).returning('id')),
  };
}
