import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateIdentity } from '../../src/config-repo/sealing.js';
import { generateToken } from '../../src/store/token-store.js';
import { startAgent, type AgentHandle } from '../helpers/agent.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { bareRemote } from '../helpers/git.js';
import { api, cli, startImagetrail, type ServerHandle } from '../helpers/imagetrail.js';
import { getJson, postReport, startEcrWorld, waitUntil, type EcrWorld } from '../faults/helpers/common.js';

// Issue 12: an agent long-polling replica 2 is woken by PostgreSQL NOTIFY when replica 1 accepts a report
// for its runtime. Both fallbacks are as long as they go: replica 2 looks at the store on its own only once a
// minute, and the agent's claim waits a minute before it asks again. The agent runs one job at a time, so
// after each report it holds exactly one fresh claim; a report accepted right then and claimed well within
// the minute was handed over by the notification, not by either fallback.

vi.setConfig({ testTimeout: 240_000, hookTimeout: 400_000 });

const RUNTIME = 'remote-a';
const FALLBACK_MS = 60_000;

let db: TestDatabase;
let world: EcrWorld;
let remote: Awaited<ReturnType<typeof bareRemote>>;
let tmp: string;
let adminToken: string;
let r1: ServerHandle;
let r2: ServerHandle;
let agent: AgentHandle | undefined;
const servers: ServerHandle[] = [];

async function secret(name: string, text: string): Promise<string> {
  const file = join(tmp, name);
  await writeFile(file, text, { mode: 0o600 });
  await chmod(file, 0o600);
  return file;
}

beforeAll(async () => {
  [db, world, remote] = await Promise.all([
    createTestDatabase('postgres'),
    startEcrWorld({ count: 3, repositories: ['wake/app'] }),
    bareRemote(),
  ]);
  tmp = await mkdtemp(join(tmpdir(), 'imagetrail-replica-wake-'));
  adminToken = generateToken();
  const args = [
    ...['--identity-file', await secret('cp.agekey', `${(await generateIdentity()).identity}\n`)],
    ...[
      '--local-runtime-identity-file',
      await secret('local.agekey', `${(await generateIdentity()).identity}\n`),
    ],
    ...['--admin-token-file', await secret('admin-token', `${adminToken}\n`)],
  ];
  const replica = async () => {
    const s = await startImagetrail({
      configRepo: remote.url,
      database: db.url,
      args,
      env: { IMAGETRAIL_REPORT_POLL_MS: String(FALLBACK_MS) },
      startTimeoutMs: 120_000,
    });
    servers.push(s);
    return { ...s, adminToken };
  };
  r1 = await replica();
  r2 = await replica();
}, 400_000);

afterAll(async () => {
  await agent?.stop();
  await Promise.all(servers.map((s) => s.stop()));
  await Promise.all([world?.stop(), remote?.cleanup(), db?.destroy()]);
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('an agent on replica 2, a report accepted by replica 1', () => {
  it('is claimed at once, woken by the notification, not by a poll', async () => {
    const rt = await cli(r1, ['runtime', 'add', RUNTIME, '--type', 'hybrid', '--version', '0.2.0', '--json']);
    expect(rt.code, rt.stderr).toBe(0);
    const tokenFile = await secret('registration', JSON.parse(rt.stdout).registration.registrationToken);
    const { ro } = world.iam.users;
    const add = await api(r1, 'POST', '/api/v1/integrations', {
      name: 'ecr',
      type: 'registry.ecr',
      sharing: { allRuntimes: true },
      skipTest: true,
      ecr: {
        region: 'us-east-1',
        auth: { mode: 'accessKey', accessKeyId: ro.accessKeyId, secretAccessKey: ro.secretAccessKey },
        endpoints: { api: world.moto.endpoint, sts: world.moto.endpoint, registry: world.registry.url },
      },
    });
    expect(add.status, add.text).toBe(201);
    agent = startAgent({
      server: r2.url,
      runtime: RUNTIME,
      dataDir: join(tmp, 'agent'),
      tokenFile,
      args: ['--concurrency', '1'],
      env: { IMAGETRAIL_AGENT_WAIT_MS: String(FALLBACK_MS) },
    });
    await waitUntil('the agent to claim from replica 2', async () => {
      const v = await api(r2, 'GET', `/api/v1/runtimes/${RUNTIME}`);
      return v.json?.agents?.some((a: { connected: boolean }) => a.connected) ? true : undefined;
    });

    for (const [i, image] of world.images.entries()) {
      const accepted = Date.now();
      const posted = await postReport(r1, {
        image: image.ref,
        runtime: RUNTIME,
        workflow: { name: `wake-${i}` },
      });
      expect(posted.status, JSON.stringify(posted.body)).toBe(202);
      const done = await waitUntil(
        `report ${i} to be enriched by the agent`,
        async () => {
          const r = await getJson(r1, `/api/v1/image-reports/${posted.id}`);
          return r.json?.status === 'succeeded' || r.json?.status === 'failed' ? r.json : undefined;
        },
        { timeoutMs: FALLBACK_MS * 2, intervalMs: 50 },
      );
      expect(done.status, JSON.stringify(done)).toBe('succeeded');
      // Well inside the minute either fallback would have taken, whatever the machine's load.
      expect(Date.now() - accepted, agent.logs()).toBeLessThan(FALLBACK_MS / 2);
    }
  });
});
