import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { createEcrIamScenario, startMoto, type EcrIamScenario, type MotoPeer } from '../peers/moto.js';
import { startRegistry, type RegistryPeer } from '../peers/registry.js';
import { startRecordingProxy, type RecordingProxy } from '../peers/recording-proxy.js';
import { waitFor } from '../peers/process.js';
import { api, cli, startImagetrail, type ServerHandle } from './imagetrail.js';
import type { AgentHandle } from './agent.js';
import { bareRemote } from './git.js';
import { EcrSeeder, REGION } from './ecr-seed.js';

type AwsKeys = { accessKeyId: string; secretAccessKey: string };

/**
 * The peers of the runtime-agent tests (issue 11): moto with IAM enforced and the users and roles of an
 * `EcrIamScenario`, a registry holding `team/app:1.0`, a recording proxy in front of moto (who signed what),
 * a control plane on a bare Git remote with no AWS identity, and a recording proxy in front of it (what
 * agents send and are answered).
 */
export interface AgentScenario {
  tmp: string;
  moto: MotoPeer;
  registry: RegistryPeer;
  remote: Awaited<ReturnType<typeof bareRemote>>;
  s: EcrIamScenario;
  awsProxy: RecordingProxy;
  server: ServerHandle;
  cpProxy: RecordingProxy;
  stop(): Promise<void>;
}

export async function startAgentScenario(opts: {
  tmpPrefix: string;
  serverEnv: Record<string, string>;
}): Promise<AgentScenario> {
  const tmp = await mkdtemp(join(tmpdir(), opts.tmpPrefix));
  const [moto, registry, remote] = await Promise.all([startMoto(), startRegistry(), bareRemote()]);
  const s = await createEcrIamScenario(moto);
  await new EcrSeeder(moto, registry).image('team/app', '1.0');
  await moto.enableIamAuth();
  const awsProxy = await startRecordingProxy(moto.endpoint);
  const server = await startImagetrail({
    configRepo: remote.url,
    env: opts.serverEnv,
    startTimeoutMs: 120_000,
  });
  const cpProxy = await startRecordingProxy(server.url);
  const stop = async () => {
    await server.stop();
    await Promise.all([moto.stop(), registry.stop(), remote.cleanup(), awsProxy.stop(), cpProxy.stop()]);
    await rm(tmp, { recursive: true, force: true });
  };
  return { tmp, moto, registry, remote, s, awsProxy, server, cpProxy, stop };
}

/** An agent's ambient AWS identity; its GetCallerIdentity at registration goes through the recorder too. */
export function identityEnv(sc: AgentScenario, keys: AwsKeys): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: keys.accessKeyId,
    AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL_STS: sc.awsProxy.url,
  };
}

/** `runtime add NAME --type hybrid`: returns the registration token. */
export async function addHybridRuntime(sc: Pick<AgentScenario, 'server'>, name: string): Promise<string> {
  const r = await cli(sc.server, [
    'runtime',
    'add',
    name,
    '--type',
    'hybrid',
    '--version',
    '0.1.0',
    '--json',
  ]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).registration.registrationToken as string;
}

/** Writes a registration token to a 0600 file in the scenario's temporary directory. */
export async function writeTokenFile(
  sc: Pick<AgentScenario, 'tmp'>,
  name: string,
  token: string,
): Promise<string> {
  const f = join(sc.tmp, `${name}.token`);
  await writeFile(f, token + '\n', { mode: 0o600 });
  return f;
}

/**
 * Waits until the control plane lists a connected agent of `runtime` (after `first` succeeds, when given);
 * on timeout, both logs. Returns the runtime's view.
 */
export async function waitConnected(
  sc: Pick<AgentScenario, 'server'>,
  runtime: string,
  agent: AgentHandle,
  first?: () => Promise<unknown>,
): Promise<any> {
  let view: any;
  await waitFor(
    `agent of ${runtime} connected`,
    async () => {
      await first?.();
      view = (await api(sc.server, 'GET', `/api/v1/runtimes/${runtime}`)).json;
      return view.agents?.some((x: { connected: boolean }) => x.connected) === true;
    },
    { timeoutMs: 120_000 },
  ).catch((err: Error) => {
    throw new Error(`${err.message}\nagent:\n${agent.logs()}\nserver:\n${sc.server.logs()}`);
  });
  return view;
}

/** The credential an agent saved in its data directory (`<tmp>/<runtime>`). */
export async function credentialOf(sc: AgentScenario, runtime: string): Promise<string> {
  return JSON.parse(await readFile(join(sc.tmp, runtime, 'credential.json'), 'utf8')).credential as string;
}
