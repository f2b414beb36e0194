import type { Kysely } from 'kysely';
import type { ImageDetail, ImageListQuery } from '../contract/images.js';
import type {
  EnrichmentRecord,
  ImagePage,
  ImageStore,
  RecordResult,
  ReportCompletion,
} from './image-store.js';
import type { DialectName } from './database.js';
import type { Database } from './schema.js';
import { createSortableIdGenerator } from './sortable-id.js';
import { imageDetail } from './sql-image-detail.js';
import { listImages } from './sql-image-list.js';
import { recordEnrichment } from './sql-image-record.js';
import { recordingStatements, type RecordingStatements } from './recording-statements.js';
import { recordInOneStatement } from './sql-image-record-pg.js';
import { succeededUpdate } from './sql-report-rows.js';

/**
 * The image store on Kysely (SQLite and PostgreSQL). Each concern has its own module: writing an enrichment
 * (`sql-image-record.ts`), the list (`sql-image-list.ts`, `sql-image-summaries.ts`) and the detail
 * (`sql-image-detail.ts`).
 */

export interface SqlImageStoreDeps {
  db: Kysely<Database>;
  /** The list reads each image's children with the dialect's JSON aggregates; recording batches by it. */
  dialect: DialectName;
  /** Injected so tests control timestamps. */
  now?: () => Date;
}

export class SqlImageStore implements ImageStore {
  private readonly db: Kysely<Database>;
  private readonly dialect: DialectName;
  private readonly now: () => Date;
  private readonly nextImageId = createSortableIdGenerator('img_');
  private readonly nextBuildId = createSortableIdGenerator('bld_');
  private readonly statements: RecordingStatements;

  constructor(deps: SqlImageStoreDeps) {
    this.db = deps.db;
    this.dialect = deps.dialect;
    this.now = deps.now ?? (() => new Date());
    this.statements = recordingStatements(deps.db);
  }

  async recordEnrichment(
    record: EnrichmentRecord,
    completes?: ReportCompletion,
  ): Promise<RecordResult & { completed?: boolean }> {
    const now = this.now();
    const at = now.toISOString();
    const ids = { imageId: this.nextImageId(now), buildId: this.nextBuildId(now) };
    // PostgreSQL: one statement for the common report, or nothing written and the transaction below.
    const one =
      this.dialect === 'postgres' ? await recordInOneStatement(this.db, record, ids, at, completes) : null;
    if (one) return one;
    return this.db.transaction().execute(async (trx) => {
      const recorded = await recordEnrichment(trx, this.dialect, this.statements, record, ids, at);
      if (!completes) return recorded;
      // "Succeeded" in the recording's transaction: one commit, and no moment where the image is recorded
      // but its report still shows running. Stamped when written, just before the commit, as the
      // one-statement path's time is.
      const held = { id: completes.reportId, owner: completes.owner };
      const result = { imageId: recorded.imageId, digest: record.image.digest };
      const marked = await succeededUpdate(
        trx,
        held,
        result,
        completes.steps,
        this.now().toISOString(),
      ).executeTakeFirst();
      return { ...recorded, completed: marked.numUpdatedRows > 0n };
    });
  }

  list(query: ImageListQuery): Promise<ImagePage> {
    return listImages(this.db, this.dialect, query);
  }

  get(id: string): Promise<ImageDetail | null> {
    return imageDetail(this.db, this.dialect, id);
  }

  async findByDigest(registry: string, repository: string, digest: string): Promise<string | null> {
    const row = await this.db
      .selectFrom('images')
      .select('id')
      .where('registry', '=', registry)
      .where('repository', '=', repository)
      .where('digest', '=', digest)
      .executeTakeFirst();
    return row?.id ?? null;
  }
}
