import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
} from '@aws-sdk/client-ecr';
import { generateIdentity } from '../src/config-repo/sealing.js';
import { bareRemote } from '../test/helpers/git.js';
import { api, startImagetrail, type ServerHandle } from '../test/helpers/imagetrail.js';
import { ACCOUNT, HOST, REGION, postReport, startPeers, waitReport } from './lib/ecr-env.js';
import { createBenchDatabase } from './lib/pg.js';
import { cpuSecondsOf, machineCpu } from './lib/proc.js';
import { table } from './lib/stats.js';
import type { Benchmark } from './lib/types.js';

const CLIENTS = 50;
const REPOS = 5;
const PER_REPO = 4;
const MEDIA_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

type Peers = Awaited<ReturnType<typeof startPeers>>;

interface RunResult {
  replicas: number;
  seconds: number;
  enriched: number;
  failed: number;
  serverCpuSeconds: number;
  machineBusyPct: number;
  /** Machine CPU-seconds not spent in the servers: peers (moto, registry, PostgreSQL) and the clients. */
  othersCpuSeconds: number;
}

/** N replicas on one fresh PostgreSQL database and one bare Git remote, with shared identity files. */
async function startReplicas(peers: Peers, n: number, dbUrl: string, dir: string) {
  const remote = await bareRemote();
  const files: Record<string, string> = {};
  for (const name of ['IMAGETRAIL_IDENTITY_FILE', 'IMAGETRAIL_LOCAL_RUNTIME_IDENTITY_FILE']) {
    const file = join(dir, name);
    await writeFile(file, `${(await generateIdentity()).identity}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
    files[name] = file;
  }
  const servers: ServerHandle[] = [];
  const start = () =>
    startImagetrail({ configRepo: remote.url, database: dbUrl, env: files, startTimeoutMs: 120_000 });
  servers.push(await start()); // the first writes the admin token into its data directory
  while (servers.length < n) servers.push({ ...(await start()), adminToken: servers[0]!.adminToken });
  const { ro } = peers.scenario.users;
  const add = await api(servers[0]!, 'POST', '/api/v1/integrations', {
    name: 'ecr',
    type: 'registry.ecr',
    sharing: { allRuntimes: true },
    skipTest: true,
    ecr: {
      region: REGION,
      auth: { mode: 'accessKey', accessKeyId: ro.accessKeyId, secretAccessKey: ro.secretAccessKey },
      endpoints: { api: peers.moto.endpoint, sts: peers.moto.endpoint, registry: peers.registry.url },
    },
  });
  if (add.status !== 201) throw new Error(`integration add: ${add.status} ${add.text}`);
  const tok = await api(servers[0]!, 'POST', '/api/v1/tokens', { name: 'ci', scopes: ['report'] });
  if (tok.status !== 201) throw new Error(`token create: ${tok.status} ${tok.text}`);
  return {
    servers,
    reportToken: tok.json.token as string,
    async stop() {
      await Promise.all(servers.map((s) => s.stop()));
      await remote.cleanup();
    },
  };
}

async function load(
  pool: string[],
  envs: Array<{ server: ServerHandle; reportToken: string }>,
  seconds: number,
  log: (m: string) => void,
): Promise<RunResult> {
  const pids = envs.map((e) => e.server.proc.pid!);
  const cpu = async () => (await Promise.all(pids.map(cpuSecondsOf))).reduce((a, b) => a + b, 0);
  const [cpu0, m0] = await Promise.all([cpu(), machineCpu()]);
  const t0 = performance.now();
  const wall0 = Date.now();
  const end = t0 + seconds * 1000;
  const res = { enriched: 0, failed: 0 };
  let errors = 0;
  const client = async (c: number) => {
    await sleep((c * 1000) / CLIENTS / 5);
    for (let i = 0; performance.now() < end; i++) {
      // A load balancer spreading clients over the replicas.
      const env = envs[(c + i) % envs.length]!;
      try {
        const a = await postReport(env, pool[(c * 7 + i) % pool.length]!, {
          workflow: { name: 'bench', url: `https://ci.example/runs/${c}-${i}` },
        });
        const done = await waitReport(env, a.id, {
          firstDelayMs: 200,
          growth: 1.5,
          maxDelayMs: 1000,
          timeoutMs: 120_000,
        });
        if (done.status !== 'succeeded') res.failed++;
        else if (Date.parse(done.updatedAt) <= wall0 + seconds * 1000) res.enriched++;
      } catch (err) {
        if (++errors <= 3) log(`client ${c}: ${String(err)}`);
        res.failed++;
        await sleep(100);
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
  const [cpu1, m1] = await Promise.all([cpu(), machineCpu()]);
  const serverCpuSeconds = cpu1 - cpu0;
  return {
    replicas: envs.length,
    seconds,
    ...res,
    serverCpuSeconds,
    machineBusyPct: (100 * (m1.busy - m0.busy)) / (m1.total - m0.total),
    othersCpuSeconds: m1.busy - m0.busy - serverCpuSeconds,
  };
}

/** CPU-seconds of this process per bare enrichment: DescribeImages, BatchGetImage, config blob GET. */
async function bareCpuPerCall(peers: Peers, pool: string[], n: number): Promise<number> {
  const { ro } = peers.scenario.users;
  const ecr = new ECRClient({
    region: REGION,
    endpoint: peers.moto.endpoint,
    credentials: { accessKeyId: ro.accessKeyId, secretAccessKey: ro.secretAccessKey },
  });
  try {
    const auth = (await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData?.[0]
      ?.authorizationToken;
    const one = async (ref: string) => {
      const [repo = '', tag = ''] = ref.slice(HOST.length + 1).split(':');
      const imageIds = [{ imageTag: tag }];
      await ecr.send(new DescribeImagesCommand({ registryId: ACCOUNT, repositoryName: repo, imageIds }));
      const got = await ecr.send(
        new BatchGetImageCommand({
          registryId: ACCOUNT,
          repositoryName: repo,
          imageIds,
          acceptedMediaTypes: MEDIA_TYPES,
        }),
      );
      const manifest = JSON.parse(got.images?.[0]?.imageManifest ?? '{}') as { config?: { digest: string } };
      const r = await fetch(`${peers.registry.url}/v2/${repo}/blobs/${manifest.config?.digest}`, {
        headers: { authorization: `Basic ${auth}` },
      });
      JSON.parse(await r.text());
    };
    await one(pool[0]!);
    const before = process.cpuUsage();
    for (let i = 0; i < n; i++) await one(pool[i % pool.length]!);
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1e6 / n;
  } finally {
    ecr.destroy();
  }
}

/**
 * Sustained reports/s on PostgreSQL with 1 and 2 replicas behind a round-robin "load balancer" (the clients),
 * the machine's busy share, and control-plane CPU per enriched report next to the bare SDK client's CPU for
 * the same calls, measured in this run.
 */
export const replicasBench: Benchmark = {
  name: 'replicas',
  title: 'Replicas on PostgreSQL: reports/s with 1 vs 2 replicas, CPU per report',
  async run(ctx) {
    const seconds = ctx.quick ? 10 : 20;
    const pool: string[] = [];
    const peers = await startPeers(async (seed) => {
      for (let r = 0; r < REPOS; r++) {
        for (let i = 0; i < PER_REPO; i++) {
          await seed.image(`bench/rep-${r}`, `v${i}`, { format: 'oci' });
          pool.push(`${HOST}/bench/rep-${r}:v${i}`);
        }
      }
    });
    const results: RunResult[] = [];
    let bareCpu = 0;
    try {
      bareCpu = await bareCpuPerCall(peers, pool, ctx.quick ? 50 : 200);
      for (const n of [1, 2]) {
        const db = await createBenchDatabase();
        const dir = await mkdtemp(join(tmpdir(), 'imagetrail-bench-replicas-'));
        try {
          const set = await startReplicas(peers, n, db.url, dir);
          try {
            const envs = set.servers.map((server) => ({ server, reportToken: set.reportToken }));
            for (const env of envs) {
              const a = await postReport(env, pool[0]!);
              await waitReport(env, a.id);
            }
            ctx.log(`replicas: ${n} replica(s), ${CLIENTS} clients for ${seconds} s`);
            results.push(await load(pool, envs, seconds, (m) => ctx.log(m)));
          } finally {
            await set.stop();
          }
        } finally {
          await db.drop();
          await rm(dir, { recursive: true, force: true });
        }
      }
    } finally {
      await peers.stop();
    }
    const one = results[0]!;
    const rate = (r: RunResult) => r.enriched / r.seconds;
    const rows = results.map((r) => [
      String(r.replicas),
      rate(r).toFixed(1),
      `${(rate(r) / rate(one)).toFixed(2)}×`,
      String(r.failed),
      `${r.machineBusyPct.toFixed(0)}%`,
      `${((100 * r.serverCpuSeconds) / r.seconds).toFixed(0)}%`,
      `${((100 * r.othersCpuSeconds) / r.seconds).toFixed(0)}%`,
      `${((1000 * r.serverCpuSeconds) / Math.max(1, r.enriched)).toFixed(1)} ms`,
      `${((1000 * r.serverCpuSeconds) / Math.max(1, r.enriched) / (1000 * bareCpu)).toFixed(1)}×`,
    ]);
    const markdown = [
      table(
        [
          'replicas',
          'enriched/s',
          'vs 1 replica',
          'failed',
          'machine busy (2 cores = 100%)',
          'servers CPU (of one core)',
          'everything else: peers, PostgreSQL, clients (of one core)',
          'server CPU per enriched report',
          'vs bare SDK client',
        ],
        rows,
      ),
      '',
      `Reference, same run: the bare SDK client (DescribeImages → BatchGetImage → config blob GET, sequential, warm, in one`,
      `process) uses ${(1000 * bareCpu).toFixed(2)} ms CPU per enrichment. ${CLIENTS} client loops for ${seconds} s, each POSTing`,
      `to replica (client + i) mod N — a round-robin load balancer — and waiting for the report on the same replica with the`,
      `CLI's \`--wait\` schedule; ${pool.length} images in ${REPOS} repositories. Each replica runs the in-process runtime`,
      '(`reportConcurrency` 8), all share one PostgreSQL database and one bare Git remote. On this 2-core machine the peers',
      '(moto, a Python process answering every ECR call; the registry; PostgreSQL) and the 50 clients share the cores with',
      'the servers: when the machine is near 100% busy, a second replica cannot add throughput, and the ratio measures the',
      'machine, not the design. Goal (issue 12): ≥ 1.8× from 1 to 2 replicas when CPU allows, and ≤ 3 ms control-plane',
      'CPU per enriched report.',
    ].join('\n');
    return { markdown, data: { bareCpuSeconds: bareCpu, results } };
  },
};
