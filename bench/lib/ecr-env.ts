import { setTimeout as sleep } from 'node:timers/promises';
import {
  createEcrIamScenario,
  startMoto,
  type EcrIamScenario,
  type MotoPeer,
} from '../../test/peers/moto.js';
import { startRegistry, type RegistryPeer } from '../../test/peers/registry.js';
import { api, cli, startImagetrail, type ServerHandle } from '../../test/helpers/imagetrail.js';
import { ACCOUNT, EcrSeeder, HOST, REGION } from '../../test/helpers/ecr-seed.js';
import type { ReportView } from '../../src/contract/images.js';
import { startCountingProxy, type CountingProxy } from './proxy.js';
import { startMotoPool } from './moto-pool.js';

export { ACCOUNT, HOST, REGION };

/**
 * The report path as in test/e2e/report-image-fixture.ts: moto (ECR API, IAM enforced) + distribution (the
 * registry data plane, ECR-style Basic auth), an imagetrail server with an access-key ECR integration, and
 * counting proxies in front of moto (the integration's --api-endpoint) and of the registry
 * (--registry-endpoint).
 */
export interface EcrEnv {
  moto: MotoPeer;
  registry: RegistryPeer;
  scenario: EcrIamScenario;
  ecrProxy: CountingProxy;
  stsProxy: CountingProxy;
  registryProxy: CountingProxy;
  server: ServerHandle;
  reportToken: string;
  stop(): Promise<void>;
}

/**
 * Starts moto and the registry and seeds them (IAM enforcement off while seeding, on afterwards).
 * `motoReplicas` > 1: that many identical moto processes (bench/lib/moto-pool.ts), seeded through one
 * fan-out; `moto` is then the first replica and `motoReplicas` all of them (read-only traffic only).
 */
export async function startPeers(
  seed: (s: EcrSeeder) => Promise<void>,
  opts: { motoReplicas?: number } = {},
): Promise<{
  moto: MotoPeer;
  motoReplicas: MotoPeer[];
  registry: RegistryPeer;
  scenario: EcrIamScenario;
  stop(): Promise<void>;
}> {
  const n = opts.motoReplicas ?? 1;
  const [pool, registry] = await Promise.all([
    n > 1 ? startMotoPool(n) : startMoto().then((m) => ({ setup: m, replicas: [m], stop: () => m.stop() })),
    startRegistry(),
  ]);
  try {
    const scenario = await createEcrIamScenario(pool.setup);
    await seed(new EcrSeeder(pool.setup, registry));
    await pool.setup.enableIamAuth();
    return {
      moto: pool.replicas[0]!,
      motoReplicas: pool.replicas,
      registry,
      scenario,
      stop: async () => void (await Promise.all([pool.stop(), registry.stop()])),
    };
  } catch (err) {
    await Promise.all([pool.stop(), registry.stop()]);
    throw err;
  }
}

/**
 * `mode: 'iamRole'`: the integration assumes the scenario's open role, chained from the server's own
 * identity (the `chain` user's keys in its environment, as an IRSA pod would have a web identity).
 */
export async function startServerWithEcr(
  peers: { moto: MotoPeer; registry: RegistryPeer; scenario: EcrIamScenario },
  opts: { database?: string; env?: Record<string, string>; mode?: 'accessKey' | 'iamRole' } = {},
): Promise<Omit<EcrEnv, 'moto' | 'registry' | 'scenario'>> {
  const ecrProxy = await startCountingProxy(peers.moto.endpoint);
  const stsProxy = await startCountingProxy(peers.moto.endpoint);
  const registryProxy = await startCountingProxy(peers.registry.url);
  const proxies = [ecrProxy, stsProxy, registryProxy];
  const role = opts.mode === 'iamRole';
  const { ro, chain } = peers.scenario.users;
  let server: ServerHandle | undefined;
  try {
    server = await startImagetrail({
      ...(opts.database ? { database: opts.database } : {}),
      env: {
        ...(role
          ? {
              AWS_ACCESS_KEY_ID: chain.accessKeyId,
              AWS_SECRET_ACCESS_KEY: chain.secretAccessKey,
              AWS_REGION: REGION,
            }
          : {}),
        ...opts.env,
      },
    });
    const add = await cli(
      server,
      [
        'integration',
        'add',
        'ecr',
        'ecr',
        '--region',
        REGION,
        ...(role
          ? ['--role-arn', peers.scenario.roles.enrichOpen.arn]
          : ['--access-key-id', ro.accessKeyId, '--secret-access-key-stdin']),
        '--all-runtimes',
        '--api-endpoint',
        ecrProxy.url,
        '--sts-endpoint',
        stsProxy.url,
        '--registry-endpoint',
        registryProxy.url,
      ],
      role ? {} : { stdin: ro.secretAccessKey },
    );
    if (add.code !== 0) throw new Error(`integration add failed: ${add.stderr}`);
    const tok = await cli(server, ['token', 'create', 'ci', '--scope', 'report', '--json']);
    if (tok.code !== 0) throw new Error(`token create failed: ${tok.stderr}`);
    const reportToken = (JSON.parse(tok.stdout) as { token: string }).token;
    const s = server;
    return {
      ecrProxy,
      stsProxy,
      registryProxy,
      server: s,
      reportToken,
      async stop() {
        await s.stop();
        await Promise.all(proxies.map((p) => p.stop()));
      },
    };
  } catch (err) {
    await server?.stop();
    await Promise.all(proxies.map((p) => p.stop()));
    throw err;
  }
}

/** POST /api/v1/image-reports as CI does; returns the accepted report. */
export async function postReport(
  env: { server: ServerHandle; reportToken: string },
  image: string,
  extra: Record<string, unknown> = {},
): Promise<ReportView> {
  const r = await api(
    env.server,
    'POST',
    '/api/v1/image-reports',
    { image, registryIntegration: 'ecr', ...extra },
    env.reportToken,
  );
  if (r.status !== 202) throw new Error(`report ${image}: HTTP ${r.status} ${r.text}`);
  return r.json as ReportView;
}

/**
 * Polls the report until it ends (bounded). `delays` is the polling schedule: the CLI's `--wait` starts at
 * 200 ms and grows ×1.5 to 1 s; latency measurements poll every few ms.
 */
export async function waitReport(
  env: { server: ServerHandle; reportToken: string },
  id: string,
  opts: { firstDelayMs?: number; growth?: number; maxDelayMs?: number; timeoutMs?: number } = {},
): Promise<ReportView> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let delay = opts.firstDelayMs ?? 5;
  for (;;) {
    const r = await api(env.server, 'GET', `/api/v1/image-reports/${id}`, undefined, env.reportToken);
    if (r.status !== 200) throw new Error(`GET report ${id}: HTTP ${r.status} ${r.text}`);
    const v = r.json as ReportView;
    if (v.status === 'succeeded' || v.status === 'failed') return v;
    if (Date.now() > deadline)
      throw new Error(`report ${id} still ${v.status} after ${opts.timeoutMs ?? 120_000} ms`);
    await sleep(delay);
    delay = Math.min(opts.maxDelayMs ?? delay, delay * (opts.growth ?? 1));
  }
}

export async function reportAndWait(
  env: { server: ServerHandle; reportToken: string },
  image: string,
): Promise<ReportView> {
  const accepted = await postReport(env, image);
  const done = await waitReport(env, accepted.id);
  if (done.status !== 'succeeded')
    throw new Error(`report of ${image} ${done.status}: ${JSON.stringify(done.error)}`);
  return done;
}

/** Server-side time from acceptance to the recorded end of the job. */
export function serverLatencyMs(v: ReportView): number {
  return Date.parse(v.updatedAt) - Date.parse(v.createdAt);
}

/**
 * One report, timed: POST, then GET every 3 ms (`pollMs`) until it succeeded, the first GET `firstPollMs`
 * after the POST's answer (default at once). `client` is POST → GET succeeded here, `server` the report's
 * own createdAt → updatedAt.
 */
export async function timedReport(
  env: { server: ServerHandle; reportToken: string },
  image: string,
  extra: Record<string, unknown> = {},
  pollMs = 3,
  firstPollMs = 0,
): Promise<{ client: number; server: number; done: ReportView }> {
  const t0 = performance.now();
  const accepted = await postReport(env, image, extra);
  if (firstPollMs > 0) await sleep(firstPollMs);
  const done = await waitReport(env, accepted.id, { firstDelayMs: pollMs });
  const client = performance.now() - t0;
  if (done.status !== 'succeeded') throw new Error(`report of ${image}: ${JSON.stringify(done.error)}`);
  return { client, server: serverLatencyMs(done), done };
}
