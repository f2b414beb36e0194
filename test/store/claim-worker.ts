/**
 * A separate worker process for the multi-process claim test (bundled by the test with esbuild, run with
 * node): claims jobs until none is left, completes each, and prints the ids it claimed as one JSON array.
 * Usage: node claim-worker.mjs <database-url> <owner>
 */
import { openDatabase } from '../../src/store/database.js';
import { SqlReportStore } from '../../src/store/sql-report-store.js';

const [url, owner] = process.argv.slice(2);
if (!url || !owner) throw new Error('usage: claim-worker <database-url> <owner>');
const handle = openDatabase(url, { poolMax: 2 });
const store = new SqlReportStore(handle);
const claimed: string[] = [];
try {
  for (;;) {
    const job = await store.claim({ owner, leaseMs: 600_000 });
    if (!job) break;
    claimed.push(job.id);
    if (!(await store.succeed(job.id, owner, { imageId: 'img', digest: 'sha256:x' })))
      throw new Error(`could not complete ${job.id}`);
  }
} finally {
  await handle.close();
}
process.stdout.write(JSON.stringify(claimed));
