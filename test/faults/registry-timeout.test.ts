import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, startImagetrail, type ServerHandle } from '../helpers/imagetrail.js';
import { HOST, REGION } from '../helpers/ecr-seed.js';
import { startFaultProxy, type FaultProxy } from '../peers/fault-proxy.js';
import { startEcrWorld, type EcrWorld } from './helpers/common.js';

// `imagetrail inspect --registry-integration` when the ECR API (moto) answers but the registry's /v2/
// endpoint (distribution behind a fault proxy) never does: the command must fail and say the registry did
// not answer, not end in a green "referrers not listed" with exit 0.

const AWS_TIMEOUT_MS = 1000;
let world: EcrWorld;
let proxy: FaultProxy;
let server: ServerHandle;

beforeAll(async () => {
  world = await startEcrWorld({ count: 1, repositories: ['hang/app'] });
  proxy = await startFaultProxy(world.registry.url);
  server = await startImagetrail({
    env: { IMAGETRAIL_AWS_TIMEOUT_MS: String(AWS_TIMEOUT_MS), IMAGETRAIL_AWS_MAX_ATTEMPTS: '1' },
  });
  const ro = world.iam.users.ro;
  const add = await cli(
    server,
    [
      'integration',
      'add',
      'ecr',
      'hanging',
      '--region',
      REGION,
      '--access-key-id',
      ro.accessKeyId,
      '--secret-access-key-stdin',
      '--all-runtimes',
      '--skip-test',
      '--api-endpoint',
      world.moto.endpoint,
      '--sts-endpoint',
      world.moto.endpoint,
      '--registry-endpoint',
      proxy.url,
    ],
    { stdin: ro.secretAccessKey },
  );
  expect(add.code, add.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await server?.stop();
  await proxy?.stop();
  await world?.stop();
});

describe('a registry that never answers', () => {
  it('inspect fails with "did not answer", never a quiet success', async () => {
    proxy.inject(Array.from({ length: 1000 }, () => ({ kind: 'hang' as const })));
    const r = await cli(server, ['inspect', `${HOST}/hang/app:v0`, '--registry-integration', 'hanging']);
    expect(r.code, r.stdout).not.toBe(0);
    expect(r.stderr).toMatch(/did not answer/);
    expect(r.stdout).not.toContain('referrer');
  }, 120_000);
});
