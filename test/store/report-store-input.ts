import { beforeEach } from 'vitest';
import type { ImageReportInput } from '../../src/contract/images.js';
import type { ReportStoreSubject } from '../helpers/report-stores.js';

// What the report store tests (report-store-intake, report-store-leases) share, next to the subjects of
// ../helpers/report-stores.ts: the report they enqueue, and an empty queue for each test.

export const input = (image = 'registry.example.com/team/app:1.0'): ImageReportInput => ({
  image,
  registryIntegration: 'prod-ecr',
  git: { repo: 'acme/app', branch: 'main', sha: 'a'.repeat(40) },
});

/** Empties the queue before each test of the enclosing describe block (SQL engines only). */
export function useEmptyReportQueue(subject: ReportStoreSubject): void {
  // Claims take any due job in the table, so each test starts from an empty queue.
  beforeEach(async () => {
    if (subject.database) await subject.database().db.deleteFrom('image_reports').execute();
  });
}
