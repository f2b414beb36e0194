import { describe, expect, it } from 'vitest';
import { SqlImageStore } from '../../src/store/sql-image-store.js';
import { SqlReportStore } from '../../src/store/sql-report-store.js';
import { useTestDatabase } from '../helpers/databases.js';
import { digest, enrichmentRecord } from '../helpers/enrichment-record.js';
import { HOST } from '../helpers/ecr-seed.js';

// An agent's completion on SQLite: the recording and "succeeded" commit together (PostgreSQL's common case
// is one statement: image-record-one-statement.test.ts), and only for the lease holder.

describe('recording that completes the report (sqlite)', () => {
  const database = useTestDatabase('sqlite');

  it('marks the report succeeded in the recording transaction, only while the lease is its own', async () => {
    const { db } = database();
    const images = new SqlImageStore({ db, dialect: 'sqlite' });
    const reports = new SqlReportStore({ db, dialect: 'sqlite' });
    const { id } = await reports.enqueue({ image: `${HOST}/team/app:1.0` }, { runtime: 'edge' });
    expect((await reports.claim({ owner: 'lease-1', leaseMs: 30_000 }))?.id).toBe(id);
    const steps = [{ name: 'registry', status: 'ok' as const, at: new Date().toISOString() }];
    const record = enrichmentRecord({ reportId: id, runtime: 'edge' }, { digest: digest(3) });

    const stranger = await images.recordEnrichment(record, { reportId: id, owner: 'lease-2', steps });
    expect(stranger.completed).toBe(false);
    expect((await reports.get(id))?.status).toBe('running');

    const done = await images.recordEnrichment(record, { reportId: id, owner: 'lease-1', steps });
    expect(done.completed).toBe(true);
    expect(await reports.get(id)).toMatchObject({
      status: 'succeeded',
      result: { imageId: done.imageId, digest: digest(3) },
      steps: [{ name: 'registry', status: 'ok' }],
    });
  });
});
