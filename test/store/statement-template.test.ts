import { describe, expect, it } from 'vitest';
import { recordingStatements } from '../../src/store/recording-statements.js';
import { buildRow, buildUpsertOf, imageRow, imageUpsertOf } from '../../src/store/sql-image-record.js';
import { StatementTemplate } from '../../src/store/statement-template.js';
import { eachDatabase, useTestDatabase } from '../helpers/databases.js';
import { digest, enrichmentRecord } from '../helpers/enrichment-record.js';

// The recording's upserts are compiled once and then only bound (decision 0041): the bound statement must
// be, value for value, what the builder compiles for the same record.

const records = [
  enrichmentRecord({ reportId: 'rep_1', runtime: 'edge' }),
  enrichmentRecord(
    {
      reportId: 'rep_2',
      runtime: 'eks-a',
      workflowName: 'ci',
      workflowUrl: 'https://ci.example/1',
      logsUrl: 'https://ci.example/1/logs',
      ciType: 'github-actions',
      dockerfile: 'FROM scratch',
    },
    {
      digest: digest(9),
      registrySize: 123,
      pushedAt: '2026-01-01T00:00:00.000Z',
      createdAt: '2025-12-31T00:00:00.000Z',
      labels: { a: 'b' },
      annotations: { 'org.opencontainers.image.source': 'https://git.example/app' },
      config: { os: 'linux', architecture: 'arm64', historyCount: 3 },
      scan: { status: 'COMPLETE', severityCounts: { HIGH: 2 } },
      layers: [{ digest: digest(4), size: 10, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }],
    },
    { git: { provider: 'github', repo: 'team/app', branch: 'main', sha: 'abc123' } },
  ),
];

describe.each(eachDatabase())('recording statement templates on %s', (engine) => {
  const database = useTestDatabase(engine);

  it('bind to exactly what the builders compile, for every record', () => {
    const { db } = database();
    const statements = recordingStatements(db);
    const at = '2026-12-03T08:00:00.000Z';
    for (const r of records) {
      const row = imageRow(r.image, 'img_1', at);
      const image = imageUpsertOf(db, row).returning('id').compile();
      expect(statements.image.bind(row)).toMatchObject({ sql: image.sql, parameters: image.parameters });
      const build = { ...buildRow(r, { newId: 'bld_1', sha: r.git?.sha, at }), image_id: 'img_1' };
      const compiled = buildUpsertOf(db, build).returning('id').compile();
      expect(statements.build.bind(build)).toMatchObject({
        sql: compiled.sql,
        parameters: compiled.parameters,
      });
    }
  });

  it('refuse a builder that does not pass a value through as one parameter, and a missing value', () => {
    const { db } = database();
    const upsert = (v: Record<'id' | 'name', unknown>) =>
      db.insertInto('issues').values({
        key: String(v.id),
        title: JSON.stringify(v.name), // transformed: the marker is no longer a parameter of its own
        status: 's',
        url: 'u',
        updated_at: 'x',
      });
    expect(() => new StatementTemplate(['id', 'name'], upsert)).toThrow(/"name" is bound 0 times/);
    // A change the first markers survive (they are lowercase already) shows with the second ones.
    const lowered = (v: Record<'id', unknown>) =>
      db.deleteFrom('issues').where('key', '=', String(v.id).toLowerCase());
    expect(() => new StatementTemplate(['id'], lowered)).toThrow(
      /statement template: value "id" is bound 0 times/,
    );
    const ok = new StatementTemplate(['id'], (v) =>
      db.deleteFrom('issues').where('key', '=', v.id as string),
    );
    expect(() => ok.bind({ id: undefined })).toThrow(/no value for "id"/);
    expect(() => ok.bind({ id: 'K-1', other: 1 } as { id: string })).toThrow(
      /"other" is not one of its values/,
    );
    expect(ok.bind({ id: 'K-1' }).parameters).toEqual(['K-1']);
    // Markers count only while compiling: a value that looks like one (from a hostile registry or agent)
    // is bound as it is, in its own place, and the statement stays the same.
    const lookalike = '\u0000imagetrail-template-value:id';
    const bound = ok.bind({ id: lookalike });
    expect(bound.parameters).toEqual([lookalike]);
    expect(bound.sql).toBe(ok.bind({ id: 'K-1' }).sql);
  });
});
