import { setTimeout as sleep } from 'node:timers/promises';
import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
} from '@aws-sdk/client-ecr';
import { api, type ServerHandle } from '../../test/helpers/imagetrail.js';
import { startCpuMeter, type Cluster } from './cluster.js';
import { ACCOUNT, HOST, REGION, postReport, waitReport, type startPeers } from './ecr-env.js';
import { backendPids, transactions } from './pg.js';
import { cpuSplitOf } from './proc.js';

/** Load and CPU measurements of bench/replicas.ts: CI clients, CPU meters, a report burst, the bare SDK client. */

export const CLIENTS = 50;
const MEDIA_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

export type Peers = Awaited<ReturnType<typeof startPeers>>;
export type Env = { server: ServerHandle; reportToken: string };

/** 50 CI clients for `seconds`: each POSTs a report to replica (client + i) mod N and waits for it there. */
export async function clients(
  pool: string[],
  envs: Env[],
  seconds: number,
  extra: Record<string, unknown>,
  log: (m: string) => void,
) {
  const end = performance.now() + seconds * 1000;
  const wallEnd = Date.now() + seconds * 1000;
  const res = { enriched: 0, failed: 0 };
  let errors = 0;
  const client = async (c: number) => {
    await sleep((c * 1000) / CLIENTS / 5);
    for (let i = 0; performance.now() < end; i++) {
      const env = envs[(c + i) % envs.length]!;
      try {
        const a = await postReport(env, pool[(c * 7 + i) % pool.length]!, {
          ...extra,
          workflow: { name: 'bench', url: `https://ci.example/runs/${c}-${i}-${Date.now()}` },
        });
        // The CLI's `--wait` schedule.
        const done = await waitReport(env, a.id, { firstDelayMs: 200, growth: 1.5, maxDelayMs: 1000 });
        if (done.status !== 'succeeded') {
          if (++errors <= 3) log(`client ${c}: report ${done.status}: ${JSON.stringify(done.error)}`);
          res.failed++;
        } else if (Date.parse(done.updatedAt) <= wallEnd) res.enriched++;
      } catch (err) {
        if (++errors <= 3) log(`client ${c}: ${String(err)}`);
        res.failed++;
        await sleep(100);
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
  return res;
}

export function meterFor(c: Cluster, peers: Peers, db: string) {
  const pids = (xs: Array<{ proc: { pid?: number; exitCode: number | null } }>) =>
    Promise.resolve(xs.filter((x) => x.proc.exitCode === null).map((x) => x.proc.pid!));
  return startCpuMeter({
    servers: () => pids(c.replicas),
    agents: () => pids(c.agents),
    moto: () => Promise.resolve([peers.moto.pid]),
    registry: () => Promise.resolve([peers.registry.pid]),
    postgres: () => backendPids(db),
    clients: () => Promise.resolve([process.pid]),
  });
}

export interface BurstResult {
  label: string;
  reports: number;
  seconds: number;
  /** CPU-seconds of the replica and of the agents while the burst ran, and of the replica per second when idle. */
  server: number;
  agents: number;
  idleServerPerSecond: number;
  /** PostgreSQL transactions (statements outside explicit transactions count one each) per report, net of idle. */
  transactionsPerReport: number;
}

/**
 * Control-plane CPU per enriched report without the clients' status polls: `n` reports POSTed 10 at a time to
 * replica 1, then one GET /healthz (report counts) every 250 ms until none is queued or running. The
 * replica's idle CPU (3 s before) is measured too, so its share of the per-report figure is known.
 */
export async function burst(
  label: string,
  c: Cluster,
  peers: Peers,
  db: string,
  pool: string[],
  n: number,
  extra: Record<string, unknown>,
): Promise<BurstResult> {
  const server = c.replicas[0]!;
  const env = { server, reportToken: c.reportToken };
  const idle = await meterFor(c, peers, db);
  const x0 = await transactions(db);
  await sleep(3000);
  const [idleCpu, x1] = await Promise.all([idle.stop(), transactions(db)]);
  const meter = await meterFor(c, peers, db);
  const split0 = await cpuSplitOf(server.proc.pid!);
  const t0 = performance.now();
  for (let i = 0; i < n; i += 10)
    await Promise.all(
      Array.from({ length: Math.min(10, n - i) }, (_, k) =>
        postReport(env, pool[(i + k) % pool.length]!, {
          ...extra,
          workflow: {
            name: 'burst',
            url: `https://ci.example/burst/${label.replaceAll(' ', '-')}/${i + k}/${Date.now()}`,
          },
        }),
      ),
    );
  for (;;) {
    const h = await api(server, 'GET', '/healthz');
    const r = (h.json as { reports?: { queued?: number; running?: number } }).reports;
    if ((r?.queued ?? 0) + (r?.running ?? 0) === 0) break;
    await sleep(250);
  }
  const cpu = await meter.stop();
  const seconds = (performance.now() - t0) / 1000;
  const split1 = await cpuSplitOf(server.proc.pid!);
  const userMs = (1000 * (split1.user - split0.user)) / n;
  const systemMs = (1000 * (split1.system - split0.system)) / n;
  // Printed, not tabulated: user vs system CPU per report says what a syscall (a statement, a response) costs.
  console.error(
    `${label}: server user ${userMs.toFixed(2)} ms + system ${systemMs.toFixed(2)} ms per report`,
  );
  // PostgreSQL publishes a backend's counters when it goes idle, at most once a second.
  await sleep(1500);
  const x2 = await transactions(db);
  return {
    label,
    reports: n,
    seconds,
    transactionsPerReport: (x2 - x1 - ((x1 - x0) / 3) * (seconds + 1.5)) / n,
    server: cpu.servers,
    agents: cpu.agents,
    idleServerPerSecond: idleCpu.servers / 3,
  };
}

/** CPU-seconds of this process per bare enrichment: DescribeImages, BatchGetImage, config blob GET. */
export async function bareCpuPerCall(peers: Peers, pool: string[], n: number): Promise<number> {
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
    for (const ref of pool) await one(ref);
    const before = process.cpuUsage();
    for (let i = 0; i < n; i++) await one(pool[i % pool.length]!);
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1e6 / n;
  } finally {
    ecr.destroy();
  }
}
