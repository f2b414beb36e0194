import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateIdentity } from '../../src/config-repo/sealing.js';
import { generateToken } from '../../src/store/token-store.js';
import { startAgent, type AgentHandle } from '../../test/helpers/agent.js';
import { bareRemote } from '../../test/helpers/git.js';
import { api, cli, startImagetrail, type ServerHandle } from '../../test/helpers/imagetrail.js';
import type { MotoPeer } from '../../test/peers/moto.js';
import type { RegistryPeer } from '../../test/peers/registry.js';
import { REGION } from './ecr-env.js';
import { cpuSecondsOf } from './proc.js';

/** Set to a directory to have every replica write a V8 CPU profile there (`node --cpu-prof`). */
const PROFILE_DIR = process.env['IMAGETRAIL_BENCH_CPU_PROF'];

/** The hybrid runtime whose reports the agents enrich. */
export const AGENT_RUNTIME = 'bench-agents';
/** Jobs at once per replica (in-process runtime) and per agent: the same, so one of each compares. */
export const CONCURRENCY = 8;

export interface Cluster {
  replicas: ServerHandle[];
  agents: AgentHandle[];
  reportToken: string;
  /** One more `imagetrail serve` on the same database, Git remote and shared secrets. */
  addReplica(): Promise<ServerHandle>;
  /** One more `imagetrail agent` of AGENT_RUNTIME (all share one registered data directory), dialling replica 1. */
  addAgent(): Promise<AgentHandle>;
  stop(): Promise<void>;
}

async function secret(dir: string, name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text, { mode: 0o600 });
  await chmod(file, 0o600);
  return file;
}

/**
 * Replicas of the control plane on one PostgreSQL database and one bare Git remote, started with the shared
 * secrets from files (docs/replicas.md), an access-key ECR integration shared with every runtime (the
 * in-process `local` and the agents' hybrid runtime), and a report-scoped token. Starts with one replica.
 */
export async function startCluster(
  peers: { moto: MotoPeer; registry: RegistryPeer; scenario: { users: { ro: Keys } } },
  dbUrl: string,
  dir: string,
): Promise<Cluster> {
  const remote = await bareRemote();
  const adminToken = generateToken();
  const args = [
    ...['--identity-file', await secret(dir, 'cp.agekey', `${(await generateIdentity()).identity}\n`)],
    ...[
      '--local-runtime-identity-file',
      await secret(dir, 'local.agekey', `${(await generateIdentity()).identity}\n`),
    ],
    ...['--admin-token-file', await secret(dir, 'admin-token', `${adminToken}\n`)],
  ];
  const replicas: ServerHandle[] = [];
  const agents: AgentHandle[] = [];
  const stop = async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await Promise.all(replicas.map((s) => s.stop()));
    await remote.cleanup();
  };
  const addReplica = async () => {
    const s = await startImagetrail({
      configRepo: remote.url,
      database: dbUrl,
      args,
      env: {
        IMAGETRAIL_REPORT_CONCURRENCY: String(CONCURRENCY),
        // A V8 CPU profile of each replica, written when it stops (where the CPU per report goes).
        ...(PROFILE_DIR ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${PROFILE_DIR}` } : {}),
      },
      startTimeoutMs: 120_000,
    });
    replicas.push({ ...s, adminToken });
    return replicas.at(-1)!;
  };
  try {
    const first = await addReplica();
    // The runtime before the integration, so the integration's secret is sealed to it too.
    const rt = await cli(first, [
      'runtime',
      'add',
      AGENT_RUNTIME,
      '--type',
      'hybrid',
      '--version',
      '0.2.0',
      '--json',
    ]);
    if (rt.code !== 0) throw new Error(`runtime add: ${rt.stderr}`);
    const tokenFile = await secret(dir, 'registration', JSON.parse(rt.stdout).registration.registrationToken);
    await addIntegration(first, peers);
    const tok = await api(first, 'POST', '/api/v1/tokens', { name: 'ci', scopes: ['report'] });
    if (tok.status !== 201) throw new Error(`token create: ${tok.status} ${tok.text}`);
    const agentDir = join(dir, 'agent');
    await mkdir(agentDir, { recursive: true });
    const addAgent = async () => {
      const a = startAgent({
        server: first.url,
        runtime: AGENT_RUNTIME,
        dataDir: agentDir,
        // Only the first start registers; the others share its key and credential (one Kubernetes Secret).
        ...(agents.length === 0 ? { tokenFile } : {}),
        args: ['--concurrency', String(CONCURRENCY)],
        // The agent's default long-poll (the test helper shortens it to 1 s).
        env: { IMAGETRAIL_AGENT_WAIT_MS: '20000' },
      });
      agents.push(a);
      await untilConnected(first, agents.length, a);
      return a;
    };
    return { replicas, agents, reportToken: tok.json.token as string, addReplica, addAgent, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
}

async function addIntegration(
  server: ServerHandle,
  peers: { moto: MotoPeer; registry: RegistryPeer; scenario: { users: { ro: Keys } } },
): Promise<void> {
  const { ro } = peers.scenario.users;
  const add = await api(server, 'POST', '/api/v1/integrations', {
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
}

async function untilConnected(server: ServerHandle, n: number, a: AgentHandle): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const v = (await api(server, 'GET', `/api/v1/runtimes/${AGENT_RUNTIME}`)).json as {
      agents?: Array<{ connected: boolean }>;
    };
    if ((v.agents?.filter((x) => x.connected).length ?? 0) >= n) return;
    if (a.proc.exitCode !== null) break;
    await sleep(200);
  }
  throw new Error(`agent ${n} of ${AGENT_RUNTIME} did not connect:\n${a.logs()}`);
}

/** CPU-seconds used by each group of processes between `start` and `stop`; the groups' pids are re-read at both ends. */
export async function startCpuMeter<K extends string>(
  groups: Record<K, () => Promise<number[]>>,
): Promise<{ stop(): Promise<Record<K, number>> }> {
  const sample = async () => {
    const out = {} as Record<K, Map<number, number>>;
    for (const [name, pids] of Object.entries(groups) as Array<[K, () => Promise<number[]>]>) {
      const cpu = await Promise.all(
        (await pids()).map(async (p) => [p, await cpuSecondsOf(p).catch(() => NaN)] as const),
      );
      out[name] = new Map(cpu.filter(([, s]) => Number.isFinite(s)));
    }
    return out;
  };
  const before = await sample();
  return {
    async stop() {
      const after = await sample();
      const used = {} as Record<K, number>;
      for (const [name, now] of Object.entries(after) as Array<[K, Map<number, number>]>) {
        // A process that started within the window counts from 0; one that ended within it is lost (rare here).
        used[name] = [...now].reduce<number>((sum, [pid, s]) => sum + s - (before[name].get(pid) ?? 0), 0);
      }
      return used;
    },
  };
}
