import { FakeReportStore } from '../../src/store/fake-report-store.js';
import type { ReportStore } from '../../src/store/report-store.js';
import { SqlReportStore } from '../../src/store/sql-report-store.js';
import { eachDatabase, useTestDatabase, type TestDatabase } from './databases.js';

export type ReportStoreSubject = {
  store: (now?: () => Date) => ReportStore;
  database?: () => TestDatabase;
};

/**
 * Every report store, for `describe.each`: the in-memory one and one per SQL engine. Call the second item
 * inside the describe block: it registers the database's set-up and tear-down there.
 */
export function reportStoreSubjects(): Array<[string, () => ReportStoreSubject]> {
  return [
    ['fake', () => ({ store: (now) => new FakeReportStore({ now }) })],
    ...eachDatabase().map((engine): [string, () => ReportStoreSubject] => [
      engine,
      () => {
        const database = useTestDatabase(engine);
        return { store: (now) => new SqlReportStore({ ...database(), now }), database };
      },
    ]),
  ];
}
