import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { AGENT_PROTOCOL } from '../../src/contract/agent-protocol.js';
import type { EcrIamScenario } from '../peers/moto.js';
import type { RegistryPeer } from '../peers/registry.js';
import type { RecordingProxy } from '../peers/recording-proxy.js';
import { freePort } from '../peers/free-port.js';
import { waitFor } from '../peers/process.js';
import { addEcrKeyIntegration, api, cli, type ServerHandle } from '../helpers/imagetrail.js';
import { startAgent, type AgentHandle } from '../helpers/agent.js';
import {
  addHybridRuntime,
  credentialOf,
  identityEnv,
  startAgentScenario,
  waitConnected,
  writeTokenFile,
  type AgentScenario,
} from '../helpers/agent-scenario.js';
import { git, type bareRemote } from '../helpers/git.js';
import { HOST, REGION } from '../helpers/ecr-seed.js';

// Issue 11 end to end: a control plane (bin/imagetrail serve) with no AWS identity, and agents for the
// remote hybrid runtimes eks-a and eks-b, each its own process whose ambient AWS identity is a different
// moto user (A = `chain`, B = `stranger`). moto enforces IAM; the role `enrich-open` trusts only A.
// Recording proxies sit between the agents and moto (who signed what) and between agent A and the
// control plane (what the agent sends).

// Every Git commit and process start is slow on a loaded CI machine; these are limits, not expectations.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 400_000 });

let sc: AgentScenario;
let registry: RegistryPeer;
let awsProxy: RecordingProxy;
let cpProxy: RecordingProxy;
let s: EcrIamScenario;
let remote: Awaited<ReturnType<typeof bareRemote>>;
let server: ServerHandle;
let tmp: string;
/** Agent B's health port (the probes of the Kubernetes manifest). */
let healthPort: number;
const agents: AgentHandle[] = [];
const tokens: Record<string, string> = {};
const IMAGE = `${HOST}/team/app:1.0`;

async function addRuntime(name: string): Promise<string> {
  const token = await addHybridRuntime(sc, name);
  expect(token).toMatch(/^itreg_/);
  return token;
}

const tokenFile = (name: string, token: string) => writeTokenFile(sc, name, token);

function agentFor(
  runtime: string,
  who: { accessKeyId: string; secretAccessKey: string },
  opts: {
    dataDir?: string;
    tokenFile?: string;
    server?: string;
    args?: string[];
  } = {},
): AgentHandle {
  const a = startAgent({
    server: opts.server ?? server.url,
    runtime,
    dataDir: opts.dataDir ?? join(tmp, runtime),
    ...(opts.tokenFile ? { tokenFile: opts.tokenFile } : {}),
    ...(opts.args ? { args: opts.args } : {}),
    env: identityEnv(sc, who),
  });
  agents.push(a);
  return a;
}

async function report(runtime: string, integration: string): Promise<string> {
  const r = await api(server, 'POST', '/api/v1/image-reports', {
    image: IMAGE,
    registryIntegration: integration,
    runtime,
  });
  expect(r.status, r.text).toBe(202);
  return r.json.id as string;
}

async function settled(id: string): Promise<any> {
  let last: any;
  await waitFor(
    `report ${id} to finish`,
    async () => {
      last = (await api(server, 'GET', `/api/v1/image-reports/${id}`)).json;
      return last.status === 'succeeded' || last.status === 'failed';
    },
    { timeoutMs: 180_000, intervalMs: 100 },
  );
  return last;
}

beforeAll(async () => {
  // The control plane has no AWS identity at all: hybrid work happens in the agents.
  sc = await startAgentScenario({
    tmpPrefix: 'imagetrail-agents-',
    serverEnv: { IMAGETRAIL_REPORT_LEASE_MS: '3000', IMAGETRAIL_REPORT_POLL_MS: '100' },
  });
  ({ tmp, registry, remote, s, awsProxy, server, cpProxy } = sc);
  tokens['eks-a'] = await addRuntime('eks-a');
  tokens['eks-b'] = await addRuntime('eks-b');
  const endpoints = ['--api-endpoint', awsProxy.url, '--sts-endpoint', awsProxy.url];
  const role = await cli(server, [
    ...['integration', 'add', 'ecr', 'role-ecr', '--region', REGION, '--role-arn', s.roles.enrichOpen.arn],
    ...['--all-runtimes', '--skip-test', ...endpoints, '--registry-endpoint', registry.url],
  ]);
  expect(role.code, role.stderr).toBe(0);
  const key = await addEcrKeyIntegration(server, 'key-ecr', s.users.ro, [
    '--skip-test',
    ...endpoints,
    '--registry-endpoint',
    registry.url,
  ]);
  expect(key.code, key.stderr).toBe(0);
  // Agent A talks to the control plane through a recorder; B directly.
  agentFor('eks-a', s.users.chain, {
    tokenFile: await tokenFile('eks-a', tokens['eks-a']),
    server: cpProxy.url,
  });
  healthPort = await freePort();
  agentFor('eks-b', s.users.stranger, {
    tokenFile: await tokenFile('eks-b', tokens['eks-b']),
    args: ['--health-port', String(healthPort)],
  });
  for (const [i, rt] of ['eks-a', 'eks-b'].entries()) await waitConnected(sc, rt, agents[i]!);
}, 400_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await sc?.stop();
});

describe('registration', () => {
  it("pins the agent's own recipient in runtime.yaml, records its version and AWS identity, keeps the credential 0600", async () => {
    const keyFile = await readFile(join(tmp, 'eks-a', 'keys', 'runtimes', 'eks-a.agekey'), 'utf8');
    const recipient = /public key: (age1\w+)/.exec(keyFile)![1];
    const rt = parse(await git(remote.path, 'show', 'main:runtimes/eks-a/runtime.yaml'));
    expect(rt.spec.recipient).toBe(recipient);
    expect(rt.spec.version).toMatch(/^\d+\.\d+\.\d+/);
    // Every integration the runtime can use is sealed for it (the access key's secret).
    const sealed = parse(
      await git(remote.path, 'show', 'main:resources/all-runtimes-all-clusters/key-ecr.yaml'),
    );
    expect(JSON.stringify(sealed)).toContain(recipient);
    const v = (await api(server, 'GET', '/api/v1/runtimes/eks-a')).json;
    expect(v.recipient).toBe(recipient);
    expect(v.inProcess).toBe(false);
    expect(v.agents[0]).toMatchObject({ connected: true, awsIdentityArn: s.users.chain.arn });
    const b = (await api(server, 'GET', '/api/v1/runtimes/eks-b')).json;
    expect(b.agents[0].awsIdentityArn).toBe(s.users.stranger.arn);
    for (const f of ['credential.json', 'keys/runtimes/eks-a.agekey']) {
      expect(((await stat(join(tmp, 'eks-a', f))).mode & 0o777).toString(8)).toBe('600');
    }
    // A person at the terminal gets one plain line, as from `serve`, naming what the agent serves as whom.
    const a = agents.find((h) => h.proc.spawnargs.includes(join(tmp, 'eks-a')))!;
    expect(a.logs()).toContain(`serving runtime eks-a for ${cpProxy.url}, as ${s.users.chain.arn} (data in`);
    // The key the control plane generated at `runtime add` is gone from its data directory: unused since.
    for (const name of ['eks-a', 'eks-b']) {
      const held = stat(join(server.dataDir, 'keys', 'runtimes', `${name}.agekey`));
      await expect(held).rejects.toMatchObject({ code: 'ENOENT' });
    }
    // Adding it again is refused before a key is made for it, pointing at what the user likely wants.
    const again = await cli(server, ['runtime', 'add', 'eks-a', '--type', 'hybrid', '--version', '0.2.0']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('A runtime named "eks-a" already exists.');
    expect(again.stderr).toContain('imagetrail runtime token eks-a');
    const made = stat(join(server.dataDir, 'keys', 'runtimes', 'eks-a.agekey'));
    await expect(made).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('answers the probes on its health port: live, ready once its claims reach the control plane', async () => {
    const at = (path: string) => fetch(`http://127.0.0.1:${healthPort}${path}`);
    expect((await at('/livez')).status).toBe(200);
    expect((await at('/readyz')).status).toBe(200);
    expect(await (await at('/healthz')).json()).toMatchObject({ runtime: 'eks-b', connected: true });
    expect((await at('/metrics')).status).toBe(404);
  });

  it('refuses a used registration token and an expired one', async () => {
    const body = {
      protocol: AGENT_PROTOCOL,
      runtime: 'eks-a',
      agentId: 'intruder',
      version: '0.2.0',
      recipient: 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p',
      awsIdentity: null,
    };
    const used = await api(server, 'POST', '/api/v1/agent/register', body, tokens['eks-a']);
    expect(used.status).toBe(401);
    expect(used.json.error.message).toContain('already been used');
    const t = await api(server, 'POST', '/api/v1/runtimes/eks-a/registration-tokens', { ttlSeconds: 1 });
    expect(t.status, t.text).toBe(201);
    await new Promise((r) => setTimeout(r, 1100));
    const expired = await api(server, 'POST', '/api/v1/agent/register', body, t.json.registrationToken);
    expect(expired.status).toBe(401);
    expect(expired.json.error.message).toContain('expired');
  });

  it('tells an agent of another protocol version both versions', async () => {
    const cred = await credentialOf(sc, 'eks-a');
    // A protocol 1 agent cannot read the test and inspect tasks of protocol 2.
    const r = await api(server, 'POST', '/api/v1/agent/claim', { protocol: 1, runtime: 'eks-a' }, cred);
    expect(r.status).toBe(400);
    expect(r.json.error.message).toContain(`agent protocol ${AGENT_PROTOCOL}`);
    expect(r.json.error.message).toContain('sent protocol 1');
  });
});

describe('work on the runtime that owns the identity', () => {
  it("enriches on eks-a through the role: STS signed with A's key, ECR with the assumed temporary key", async () => {
    const before = awsProxy.requests.length;
    const done = await settled(await report('eks-a', 'role-ecr'));
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    const seen = awsProxy.requests.slice(before);
    const assume = seen.filter((r) => r.action === 'AssumeRole');
    expect(assume.length).toBeGreaterThan(0);
    for (const r of assume) expect(r.accessKeyId).toBe(s.users.chain.accessKeyId);
    const ecr = seen.filter((r) => r.action?.startsWith('AmazonEC2ContainerRegistry'));
    expect(ecr.length).toBeGreaterThan(0);
    for (const r of ecr) {
      expect(r.accessKeyId).toBeDefined();
      expect(r.accessKeyId).not.toBe(s.users.chain.accessKeyId);
      expect(r.accessKeyId).not.toBe(s.users.stranger.accessKeyId);
    }
  });

  it('fails on eks-b, naming B as the principal the role does not trust', async () => {
    const done = await settled(await report('eks-b', 'role-ecr'));
    expect(done.status).toBe('failed');
    expect(done.error.message).toContain(s.users.stranger.arn);
  });

  it('an access-key integration works on either runtime', async () => {
    for (const rt of ['eks-a', 'eks-b']) {
      const done = await settled(await report(rt, 'key-ecr'));
      expect(done.status, JSON.stringify(done)).toBe('succeeded');
    }
  });
});

describe('isolation', () => {
  it("refuses a runtime:eks-a credential eks-b's work, snapshot and reports, and every integration route", async () => {
    const cred = await credentialOf(sc, 'eks-a');
    const claim = await api(
      server,
      'POST',
      '/api/v1/agent/claim',
      { protocol: AGENT_PROTOCOL, runtime: 'eks-b', agentId: 'x', version: '0.2.0', waitMs: 0 },
      cred,
    );
    expect(claim.status).toBe(403);
    // Nor may it mark eks-b's agent stopped: the agent stays connected.
    const bAgent = (await api(server, 'GET', '/api/v1/runtimes/eks-b')).json.agents[0].id as string;
    const leave = { protocol: AGENT_PROTOCOL, runtime: 'eks-b', agentId: bAgent };
    expect((await api(server, 'POST', '/api/v1/agent/leave', leave, cred)).status).toBe(403);
    const asOwn = await api(server, 'POST', '/api/v1/agent/leave', { ...leave, runtime: 'eks-a' }, cred);
    expect(asOwn.json).toMatchObject({ left: false });
    expect((await api(server, 'GET', '/api/v1/runtimes/eks-b')).json.agents[0]).toMatchObject({
      id: bAgent,
      connected: true,
      leftAt: null,
    });
    expect((await api(server, 'GET', '/api/v1/agent/snapshot?runtime=eks-b', undefined, cred)).status).toBe(
      403,
    );
    const bReport = await report('eks-b', 'key-ecr');
    await settled(bReport);
    const complete = await api(
      server,
      'POST',
      `/api/v1/agent/jobs/${bReport}/complete`,
      {
        protocol: AGENT_PROTOCOL,
        leaseId: 'x',
        attempt: 1,
        steps: [],
        outcome: { ok: false, message: 'x', retryable: false },
      },
      cred,
    );
    expect(complete.status).toBe(403);
    expect(
      (
        await api(
          server,
          'POST',
          `/api/v1/agent/jobs/${bReport}/renew`,
          { protocol: AGENT_PROTOCOL, leaseId: 'x' },
          cred,
        )
      ).status,
    ).toBe(403);
    expect((await api(server, 'GET', '/api/v1/integrations', undefined, cred)).status).toBe(403);
    expect((await api(server, 'GET', '/api/v1/integrations/key-ecr', undefined, cred)).status).toBe(403);
    // Its own snapshot holds what eks-a may see, sealed: no clear secret.
    const snap = await api(server, 'GET', '/api/v1/agent/snapshot?runtime=eks-a', undefined, cred);
    expect(snap.status).toBe(200);
    expect(snap.text).not.toContain(s.users.ro.secretAccessKey);
    expect(snap.json.integrations.map((i: { file: string }) => i.file).sort()).toEqual([
      'resources/all-runtimes-all-clusters/key-ecr.yaml',
      'resources/all-runtimes-all-clusters/role-ecr.yaml',
    ]);
  });
});

describe('dispatch', () => {
  it('a report for a runtime with no agent waits, visibly, and is enriched when one connects', async () => {
    await addRuntime('eks-c');
    const id = await report('eks-c', 'key-ecr');
    await new Promise((r) => setTimeout(r, 1500));
    expect((await api(server, 'GET', `/api/v1/image-reports/${id}`)).json.status).toBe('queued');
    const view = (await api(server, 'GET', '/api/v1/runtimes/eks-c')).json;
    expect(view.queue.queued).toBe(1);
    expect(view.waiting).toContain('waiting for runtime eks-c');
    // The token as an operator gets it: `runtime token --output`, a new 0600 file, and the command to run.
    const file = join(tmp, 'eks-c.cli.token');
    const issued = await cli(server, ['runtime', 'token', 'eks-c', '--output', file]);
    expect(issued.code, issued.stderr).toBe(0);
    expect(issued.stdout).toBe('');
    expect(issued.stderr).toContain(
      `imagetrail agent --server ${server.url} --runtime eks-c --data-dir .imagetrail-agent/eks-c --registration-token-file ${file}`,
    );
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toMatch(/^itreg_[\w-]{43}\n$/);
    const again = await cli(server, ['runtime', 'token', 'eks-c', '--output', file, '--json']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`Cannot write ${file} (EEXIST)`);
    agentFor('eks-c', s.users.ro, { tokenFile: file });
    expect((await settled(id)).status).toBe('succeeded');
  });

  it('SIGKILL of an agent mid-job: a second agent of the runtime finishes it, once', async () => {
    const dataDir = join(tmp, 'eks-c');
    awsProxy.hold((r) => r.action?.endsWith('.DescribeImages') === true);
    const id = await report('eks-c', 'key-ecr');
    await waitFor('the agent to be mid-job', async () => awsProxy.held > 0, { timeoutMs: 120_000 });
    const first = agents.find((a) => a.proc.spawnargs.includes(dataDir))!;
    first.proc.kill('SIGKILL');
    await first.exited;
    awsProxy.release();
    // A replica: same data directory (one Kubernetes Secret), so same key and credential, no registration.
    agentFor('eks-c', s.users.ro, { dataDir });
    const done = await settled(id);
    expect(done.status).toBe('succeeded');
    expect(done.attempts).toBeGreaterThanOrEqual(2);
    expect(done.steps.filter((st: { name: string }) => st.name === 'enriched')).toHaveLength(1);
  });
});

describe('secrets and revocation', () => {
  it('no secret in the agents argv, logs or what agent A sent the control plane', async () => {
    const secrets = [
      s.users.ro.secretAccessKey,
      s.users.chain.secretAccessKey,
      s.users.stranger.secretAccessKey,
      tokens['eks-a']!,
      tokens['eks-b']!,
      await credentialOf(sc, 'eks-a'),
    ];
    const sent = cpProxy.requests.map((r) => `${r.path}\n${r.body}`).join('\n');
    expect(
      cpProxy.requests.some((r) => r.path === '/api/v1/agent/jobs/' + '' || r.path.includes('/complete')),
    ).toBe(true);
    for (const a of agents) {
      for (const secret of secrets) {
        expect(a.proc.spawnargs.join(' ')).not.toContain(secret);
        expect(a.logs()).not.toContain(secret);
      }
    }
    for (const secret of secrets.slice(0, 3)) expect(sent).not.toContain(secret);
  });

  it('a revoked credential stops the agent with a clear message', async () => {
    const list = (await api(server, 'GET', '/api/v1/tokens')).json.items as Array<{
      id: string;
      name: string;
    }>;
    for (const t of list.filter((t) => t.name === 'agent eks-b')) {
      expect((await api(server, 'DELETE', `/api/v1/tokens/${t.id}`)).status).toBeLessThan(300);
    }
    const b = agents[1]!;
    const code = await b.exited;
    expect(code).toBe(3);
    expect(b.logs()).toContain(`refused this agent's credential for runtime "eks-b"`);
    expect(b.logs()).toContain('imagetrail runtime token eks-b');
  });
});
