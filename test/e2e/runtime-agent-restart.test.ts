import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startMoto, type MotoPeer } from '../peers/moto.js';
import { startRegistry, type RegistryPeer } from '../peers/registry.js';
import { startRecordingProxy, type RecordingProxy } from '../peers/recording-proxy.js';
import { freePort } from '../peers/free-port.js';
import { startFaultProxy, type FaultProxy } from '../peers/fault-proxy.js';
import { waitFor } from '../peers/process.js';
import { addEcrKeyIntegration, api, cli, startImagetrail, type ServerHandle } from '../helpers/imagetrail.js';
import { startAgent, type AgentHandle } from '../helpers/agent.js';
import { addHybridRuntime, waitConnected, writeTokenFile } from '../helpers/agent-scenario.js';
import { EcrSeeder, HOST, REGION } from '../helpers/ecr-seed.js';
import { AGENT_PROTOCOL } from '../../src/contract/agent-protocol.js';

// Issue 11, operations: a control plane started with --no-local-runtime (hybrid work only in agents), on a
// fixed port and data directory so that it can be stopped (SIGTERM, SIGKILL) and started again while its
// agent works. moto (IAM off) plays ECR behind a recording proxy that can hold the agent mid-job.

vi.setConfig({ testTimeout: 300_000, hookTimeout: 400_000 });

const LEASE_MS = 4000;
const IMAGE = `${HOST}/team/app:1.0`;
let moto: MotoPeer;
let registry: RegistryPeer;
let awsProxy: RecordingProxy;
let server: ServerHandle;
let port: number;
let tmp: string;
let dataDir: string;
let agent: AgentHandle;
let lostAgent: AgentHandle | undefined;
let cut: FaultProxy | undefined;

function serve(): Promise<ServerHandle> {
  return startImagetrail({
    dataDir,
    args: ['--port', String(port), '--no-local-runtime'],
    env: { IMAGETRAIL_REPORT_LEASE_MS: String(LEASE_MS), IMAGETRAIL_REPORT_POLL_MS: '100' },
    startTimeoutMs: 120_000,
  });
}

async function report(body: Record<string, unknown>): Promise<{ status: number; json: any; text: string }> {
  return api(server, 'POST', '/api/v1/image-reports', { image: IMAGE, ...body });
}

async function settled(ids: string[]): Promise<any[]> {
  const views: any[] = [];
  for (const id of ids) {
    let last: any;
    await waitFor(
      `report ${id} to finish`,
      async () => {
        last = (await api(server, 'GET', `/api/v1/image-reports/${id}`)).json;
        return last.status === 'succeeded' || last.status === 'failed';
      },
      { timeoutMs: 180_000, intervalMs: 200 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nagent:\n${agent.logs()}\nserver:\n${server.logs()}`);
    });
    views.push(last);
  }
  return views;
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'imagetrail-agent-restart-'));
  dataDir = join(tmp, 'server');
  [moto, registry] = await Promise.all([startMoto(), startRegistry()]);
  await new EcrSeeder(moto, registry).image('team/app', '1.0');
  awsProxy = await startRecordingProxy(moto.endpoint);
  port = await freePort();
  server = await serve();
  const token = await addHybridRuntime({ server }, 'eks-r');
  const key = await addEcrKeyIntegration(
    server,
    'key-ecr',
    { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'restart-test-secret-0000000000000000000' },
    [
      '--skip-test',
      '--api-endpoint',
      awsProxy.url,
      '--sts-endpoint',
      awsProxy.url,
      '--registry-endpoint',
      registry.url,
    ],
  );
  expect(key.code, key.stderr).toBe(0);
  const tokenFile = await writeTokenFile({ tmp }, 'eks-r', token);
  agent = startAgent({
    server: server.url,
    runtime: 'eks-r',
    dataDir: join(tmp, 'agent'),
    tokenFile,
    env: { AWS_ENDPOINT_URL_STS: moto.endpoint, AWS_REGION: REGION },
  });
  await waitConnected({ server }, 'eks-r', agent);
}, 400_000);

afterAll(async () => {
  await Promise.all([agent?.stop(), lostAgent?.stop(), cut?.stop()]);
  await server?.stop();
  await Promise.all([moto?.stop(), registry?.stop(), awsProxy?.stop()]);
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('serve --no-local-runtime', () => {
  it('creates no in-process runtime: none listed, no key for one, and a report must name its runtime', async () => {
    const list = await cli(server, ['runtime', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const names = (JSON.parse(list.stdout) as Array<{ name: string; inProcess: boolean }>).map((r) => r.name);
    expect(names).toEqual(['eks-r']);
    await expect(access(join(dataDir, 'keys', 'runtimes', 'local.agekey'))).rejects.toThrow();
    const unnamed = await report({ registryIntegration: 'key-ecr' });
    expect(unnamed.status, unnamed.text).toBe(400);
    expect(unnamed.json.error.message).toContain('--no-local-runtime');
  });

  it('a report to the runtime with an agent is enriched by the agent', async () => {
    const r = await report({ registryIntegration: 'key-ecr', runtime: 'eks-r' });
    expect(r.status, r.text).toBe(202);
    const [done] = await settled([r.json.id as string]);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    expect(JSON.stringify(done.steps)).toContain('on runtime eks-r');
  });
});

describe('control plane restarted while the agent works', () => {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`${signal}: every report of the batch ends enriched, exactly once`, async () => {
      // Jobs claimed and held mid-enrichment (the agent is working) while the control plane goes away.
      awsProxy.hold((r) => r.action?.endsWith('.DescribeImages') === true);
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        const r = await report({ registryIntegration: 'key-ecr', runtime: 'eks-r' });
        expect(r.status, r.text).toBe(202);
        ids.push(r.json.id as string);
      }
      await waitFor('the agent to be mid-job', async () => awsProxy.held > 0, { timeoutMs: 120_000 });
      const exited = new Promise((r) => server.proc.once('exit', r));
      if (signal === 'SIGKILL') server.proc.kill('SIGKILL');
      else await server.stop();
      await exited;
      // Down for longer than a lease: the agent finishes its jobs and must hold on to the results.
      awsProxy.release();
      await new Promise((r) => setTimeout(r, LEASE_MS * 2));
      server = await serve();
      const views = await settled(ids);
      for (const v of views) {
        expect(v.status, JSON.stringify(v)).toBe('succeeded');
        expect(
          v.steps.filter((s: { name: string }) => s.name === 'enriched'),
          JSON.stringify(v),
        ).toHaveLength(1);
        // Claimed once: no job was taken over and run again after the restart.
        expect(v.attempts, JSON.stringify(v)).toBe(1);
      }
      expect(agent.proc.exitCode).toBeNull();
    });
  }
});

describe('registration whose answer is lost', () => {
  it('the agent retries with the same token and registers; the first credential is revoked; another agent is refused', async () => {
    const token = await addHybridRuntime({ server }, 'eks-lost');
    const tokenFile = await writeTokenFile({ tmp }, 'eks-lost', token);
    // The control plane registers the agent and answers; the network loses the answer.
    cut = await startFaultProxy(server.url);
    cut.inject([{ kind: 'drop-response' }], (m, p) => m === 'POST' && p === '/api/v1/agent/register');
    lostAgent = startAgent({
      server: cut.url,
      runtime: 'eks-lost',
      dataDir: join(tmp, 'agent-lost'),
      tokenFile,
      env: { AWS_ENDPOINT_URL_STS: moto.endpoint, AWS_REGION: REGION },
    });
    // The registration itself records the agent: only a stored credential says it got an answer.
    const view = await waitConnected({ server }, 'eks-lost', lostAgent, () =>
      access(join(tmp, 'agent-lost', 'credential.json')),
    );
    const registers = cut.requests.filter((r) => r.path === '/api/v1/agent/register');
    expect(registers.map((r) => r.fault ?? 'forwarded')).toEqual(['drop-response', 'forwarded']);
    // Two credentials were issued; the one nobody received no longer works.
    const all = (await api(server, 'GET', '/api/v1/tokens')).json.items as Array<{
      name: string;
      revokedAt: string | null;
    }>;
    const creds = all.filter((t) => t.name === 'agent eks-lost');
    expect(creds).toHaveLength(2);
    expect(creds.filter((t) => t.revokedAt !== null)).toHaveLength(1);
    const body = {
      protocol: AGENT_PROTOCOL,
      runtime: 'eks-lost',
      agentId: view.agents[0].id as string,
      version: '0.2.0',
      recipient: view.recipient as string,
      awsIdentity: null,
    };
    // Only the agent that used the token may retry: another agent id, or another key, is refused.
    for (const other of [
      { ...body, agentId: 'intruder' },
      { ...body, recipient: 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p' },
    ]) {
      const r = await api(server, 'POST', '/api/v1/agent/register', other, token);
      expect(r.status, r.text).toBe(401);
      expect(r.json.error.message).toContain('already been used');
    }
    expect(lostAgent.proc.exitCode).toBeNull();
  });
});
