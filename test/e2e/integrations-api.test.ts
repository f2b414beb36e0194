import { describe, expect, it } from 'vitest';
import { api, cli } from '../helpers/imagetrail.js';
import { REGION, s, server, useIntegrationsServer } from './integrations-fixture.js';

// The CLI's usage errors and who may use the integrations API, with which bodies. Setup:
// integrations-fixture.ts.

useIntegrationsServer();

describe('CLI usage', () => {
  it('unknown commands, missing options and secrets in argv are usage errors (exit 2)', async () => {
    expect((await cli(server, ['integration', 'frobnicate'])).code).toBe(2);
    const noMode = await cli(server, [
      'integration',
      'add',
      'ecr',
      'x',
      '--region',
      REGION,
      '--all-runtimes',
    ]);
    expect(noMode.code).toBe(2);
    expect(noMode.stderr).toContain('--role-arn');
    const noSharing = await cli(server, [
      'integration',
      'add',
      'ecr',
      'x',
      '--region',
      REGION,
      '--role-arn',
      s.roles.enrich.arn,
    ]);
    expect(noSharing.code).toBe(2);
    expect(noSharing.stderr).toContain('--all-runtimes');
    const secretArg = await cli(server, [
      'integration',
      'add',
      'ecr',
      'x',
      '--region',
      REGION,
      '--access-key-id',
      'AKIAABCDEFGHIJKLMNOP',
      '--secret-access-key',
      'abc',
      '--all-runtimes',
    ]);
    expect(secretArg.code).toBe(2);
  });
});

describe('API access', () => {
  it('no token → 401; a report-scoped token cannot manage integrations → 403; admin can', async () => {
    const none = await api(server, 'GET', '/api/v1/integrations', undefined, null);
    expect(none.status).toBe(401);
    expect(none.json.error.message).toMatch(/token/i);
    const created = await cli(server, ['token', 'create', 'ci', '--scope', 'report', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const reportToken = JSON.parse(created.stdout).token as string;
    const post = await api(server, 'POST', '/api/v1/integrations', { name: 'x' }, reportToken);
    expect(post.status).toBe(403);
    expect(post.json.error.message).toContain('admin');
    const list = await api(server, 'GET', '/api/v1/integrations', undefined, reportToken);
    expect(list.status).toBe(403);
    const cliDenied = await cli(server, ['integration', 'list'], { token: reportToken });
    expect(cliDenied.code).toBe(3);
    const ok = await api(server, 'GET', '/api/v1/integrations');
    expect(ok.status).toBe(200);
  });

  it('bad bodies get a 4xx with the fields to fix, never a 500', async () => {
    const cases: Array<[unknown, number]> = [
      ['{not json', 400],
      [{}, 400],
      [
        {
          name: '../etc',
          type: 'registry.ecr',
          sharing: { allRuntimes: true },
          ecr: { region: REGION, auth: { mode: 'iamRole', roleArn: s.roles.enrich.arn } },
        },
        400,
      ],
      [
        {
          name: 'ok',
          type: 'registry.ecr',
          sharing: { runtimes: ['nope'] },
          ecr: { region: REGION, auth: { mode: 'iamRole', roleArn: s.roles.enrich.arn } },
        },
        400,
      ],
      [
        {
          name: 'ok',
          type: 'registry.ecr',
          sharing: { allRuntimes: true },
          ecr: { region: 'mars-1', auth: { mode: 'magic' } },
        },
        400,
      ],
      ['x'.repeat(300_000), 413],
    ];
    for (const [body, status] of cases) {
      const r = await api(server, 'POST', '/api/v1/integrations', body);
      expect(r.status, r.text).toBe(status);
      expect(r.json.error.message).toEqual(expect.any(String));
    }
    const bad = await api(server, 'POST', '/api/v1/integrations', {
      name: 'ok',
      type: 'registry.ecr',
      sharing: { allRuntimes: true },
      ecr: { region: 'mars-1', auth: { mode: 'iamRole', roleArn: 'nope' } },
    });
    expect(bad.json.error.details.map((d: { path: string }) => d.path)).toEqual(
      expect.arrayContaining(['ecr.region', 'ecr.auth.roleArn']),
    );
  });
});
