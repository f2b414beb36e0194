import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AGENT_PROTOCOL } from '../../src/contract/agent-protocol.js';
import type { EcrIamScenario } from '../peers/moto.js';
import type { RegistryPeer } from '../peers/registry.js';
import type { RecordingProxy } from '../peers/recording-proxy.js';
import { waitFor } from '../peers/process.js';
import { api, cli, type ServerHandle } from '../helpers/imagetrail.js';
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
import { HOST, REGION } from '../helpers/ecr-seed.js';

// Issue 11, point 3: connection tests and `inspect --runtime` on a remote hybrid runtime run on that
// runtime's agent. Same peers as runtime-agent.test.ts: a control plane with no AWS identity, agents for
// eks-a and eks-b whose ambient identities are moto users A (`chain`) and B (`stranger`), IAM enforced; the
// role `enrich-open` trusts only A. Both agents talk to the control plane through a recorder, so what the
// control plane sends them (claim answers) can be searched for secrets.

vi.setConfig({ testTimeout: 240_000, hookTimeout: 400_000 });

/** How long a caller waits for an agent (the server's IMAGETRAIL_AGENT_TASK_TIMEOUT_MS). */
const TASK_TIMEOUT_MS = 20_000;

let sc: AgentScenario;
let registry: RegistryPeer;
let awsProxy: RecordingProxy;
let cpProxy: RecordingProxy;
let s: EcrIamScenario;
let server: ServerHandle;
let tmp: string;
const agents: Record<string, AgentHandle> = {};
const IMAGE = `${HOST}/team/app:1.0`;
let endpoints: string[];

async function startAgentFor(runtime: string, who: { accessKeyId: string; secretAccessKey: string }) {
  const tokenFile = await writeTokenFile(sc, runtime, await addHybridRuntime(sc, runtime));
  const a = startAgent({
    server: cpProxy.url,
    runtime,
    dataDir: join(tmp, runtime),
    tokenFile,
    env: identityEnv(sc, who),
  });
  agents[runtime] = a;
  await waitConnected(sc, runtime, a);
}

/** What the control plane answered the agents' claims (the only way work and its inputs reach them). */
function claimAnswers(): Array<{ path: string; json: any; text: string }> {
  return cpProxy.requests
    .filter((r) => r.path === '/api/v1/agent/claim' && r.response)
    .map((r) => ({ path: r.path, text: r.response!, json: JSON.parse(r.response!) }));
}

function tasksSent(kind: string): any[] {
  return claimAnswers().flatMap((a) => (a.json.jobs ?? []).filter((j: { kind: string }) => j.kind === kind));
}

beforeAll(async () => {
  sc = await startAgentScenario({
    tmpPrefix: 'imagetrail-agent-tasks-',
    serverEnv: {
      IMAGETRAIL_AGENT_TASK_TIMEOUT_MS: String(TASK_TIMEOUT_MS),
      IMAGETRAIL_REPORT_POLL_MS: '100',
    },
  });
  ({ tmp, registry, s, awsProxy, server, cpProxy } = sc);
  endpoints = [
    '--api-endpoint',
    awsProxy.url,
    '--sts-endpoint',
    awsProxy.url,
    '--registry-endpoint',
    registry.url,
  ];
  await startAgentFor('eks-a', s.users.chain);
  await startAgentFor('eks-b', s.users.stranger);
  const role = await cli(server, [
    ...['integration', 'add', 'ecr', 'role-ecr', '--region', REGION, '--role-arn', s.roles.enrichOpen.arn],
    ...['--runtime', 'eks-a,eks-b', '--skip-test', ...endpoints],
  ]);
  expect(role.code, role.stderr).toBe(0);
}, 400_000);

afterAll(async () => {
  await Promise.all(Object.values(agents).map((a) => a.stop()));
  await sc?.stop();
});

describe('connection tests on the runtime that owns the identity', () => {
  it('the role integration passes on eks-a (STS signed by A) and fails on eks-b, naming B', async () => {
    const before = awsProxy.requests.length;
    const a = await api(server, 'POST', '/api/v1/integrations/role-ecr/test?runtime=eks-a');
    expect(a.status, a.text).toBe(200);
    expect(a.json.ok).toBe(true);
    expect(a.json.runtime).toEqual({ name: 'eks-a', type: 'hybrid' });
    const assume = awsProxy.requests.slice(before).filter((r) => r.action === 'AssumeRole');
    expect(assume.length).toBeGreaterThan(0);
    for (const r of assume) expect(r.accessKeyId).toBe(s.users.chain.accessKeyId);

    const b = await api(server, 'POST', '/api/v1/integrations/role-ecr/test?runtime=eks-b');
    expect(b.status, b.text).toBe(422);
    expect(b.json.ok).toBe(false);
    const failed = b.json.checks.filter((c: { ok: boolean; skipped?: boolean }) => !c.ok && !c.skipped);
    expect(failed.map((c: { message: string }) => c.message).join('\n')).toContain(s.users.stranger.arn);
    expect(tasksSent('test').map((t) => t.runtime)).toEqual(expect.arrayContaining(['eks-a', 'eks-b']));
  });

  it('integration add on eks-a, with a clear secret and no --skip-test, is tested through the agent', async () => {
    const r = await cli(
      server,
      [
        ...['integration', 'add', 'ecr', 'key-ecr', '--region', REGION, '--runtime', 'eks-a'],
        ...['--access-key-id', s.users.ro.accessKeyId, '--secret-access-key-stdin', '--json', ...endpoints],
      ],
      { stdin: s.users.ro.secretAccessKey },
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.test).toMatchObject({ ok: true, runtime: { name: 'eks-a' } });
    expect(out.commit).toMatch(/^[0-9a-f]{40}$/);
    // The agent got the secret sealed for its own key, never in clear.
    const sent = tasksSent('test').filter((t) => t.test?.name === 'key-ecr');
    expect(sent.length).toBeGreaterThan(0);
    expect(JSON.stringify(sent)).toContain('-----BEGIN AGE ENCRYPTED FILE-----');
  });

  it("the dashboard's draft test of clear settings runs on eks-a's agent", async () => {
    const r = await api(server, 'POST', '/api/v1/integrations/test', {
      type: 'registry.ecr',
      name: 'draft-ecr',
      runtime: 'eks-a',
      sharing: { runtimes: ['eks-a'] },
      ecr: {
        region: REGION,
        auth: {
          mode: 'accessKey',
          accessKeyId: s.users.ro.accessKeyId,
          secretAccessKey: s.users.ro.secretAccessKey,
        },
        endpoints: { api: awsProxy.url, sts: awsProxy.url, registry: registry.url },
      },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({ ok: true, runtime: { name: 'eks-a' } });
  });

  it('inspect --runtime eks-a reads the image through the agent', async () => {
    const r = await cli(server, [
      'inspect',
      IMAGE,
      '--registry-integration',
      'role-ecr',
      '--runtime',
      'eks-a',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const facts = JSON.parse(r.stdout);
    expect(facts.repository).toBe('team/app');
    expect(facts.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(tasksSent('inspect').some((t) => t.runtime === 'eks-a')).toBe(true);
    const onB = await api(server, 'POST', '/api/v1/inspect', {
      image: IMAGE,
      registryIntegration: 'role-ecr',
      runtime: 'eks-b',
    });
    expect(onB.status).toBeGreaterThanOrEqual(400);
    expect(onB.json.error.message).toContain(s.users.stranger.arn);
  });
});

describe('no agent', () => {
  it('a runtime no agent ever served answers at once, naming the runtime', async () => {
    await addHybridRuntime(sc, 'eks-none');
    const r = await api(server, 'POST', '/api/v1/integrations/test', {
      type: 'registry.ecr',
      runtime: 'eks-none',
      sharing: { runtimes: ['eks-none'] },
      ecr: { region: REGION, auth: { mode: 'iamRole', roleArn: s.roles.enrichOpen.arn } },
    });
    expect(r.status, r.text).toBe(503);
    expect(r.json.error.message).toContain('waiting for runtime "eks-none": no agent has ever connected');
  });

  it('a runtime whose agent stopped (SIGTERM) shows it stopped and answers at once, naming when', async () => {
    await startAgentFor('eks-c', s.users.chain);
    expect(await agents['eks-c']!.stop()).toBe(0);
    const agent = (await api(server, 'GET', '/api/v1/runtimes/eks-c')).json.agents[0];
    // Said by the agent on its way out: not "connected" until the window since its last claim has passed.
    expect(agent).toMatchObject({ connected: false, leftAt: expect.any(String) });
    const started = Date.now();
    const r = await api(server, 'POST', '/api/v1/integrations/test', {
      type: 'registry.ecr',
      runtime: 'eks-c',
      sharing: { runtimes: ['eks-c'] },
      ecr: { region: REGION, auth: { mode: 'iamRole', roleArn: s.roles.enrichOpen.arn } },
    });
    expect(r.status, r.text).toBe(503);
    expect(Date.now() - started).toBeLessThan(TASK_TIMEOUT_MS / 2);
    expect(r.json.error.message).toContain(
      `waiting for runtime "eks-c": its last agent stopped at ${agent.leftAt}`,
    );
    // Only the commit a test gates can be made untested: `integration test` is not told to --skip-test.
    expect(JSON.stringify(r.json.error.hints)).not.toContain('--skip-test');
    const show = await cli(server, ['runtime', 'show', 'eks-c']);
    expect(show.stdout).toContain(`○ ${agent.id as string} `);
    expect(show.stdout).toContain(`stopped at ${agent.leftAt as string}`);
  });

  it('an integration add gated on a stopped runtime is refused with the way to commit untested', async () => {
    const r = await api(server, 'POST', '/api/v1/integrations', {
      type: 'registry.ecr',
      name: 'gated-on-c',
      testRuntime: 'eks-c',
      sharing: { runtimes: ['eks-c'] },
      ecr: { region: REGION, auth: { mode: 'iamRole', roleArn: s.roles.enrichOpen.arn } },
    });
    expect(r.status, r.text).toBe(503);
    expect(r.json.error.message).toContain('its last agent stopped at');
    expect(r.json.error.message).toContain('Nothing was committed.');
    expect(r.json.error.hints).toContain('Or commit without testing: --skip-test.');
  });

  it('a runtime whose agent went silent (SIGKILL) answers within the timeout with when it was last seen, and the task is withdrawn', async () => {
    // The same runtime's agent again, from its data directory (no token), then killed without a word.
    const again = startAgent({
      server: cpProxy.url,
      runtime: 'eks-c',
      dataDir: join(tmp, 'eks-c'),
      env: identityEnv(sc, s.users.chain),
    });
    agents['eks-c'] = again;
    await waitConnected(sc, 'eks-c', again);
    again.proc.kill('SIGKILL');
    await again.exited;
    const lastSeen = (await api(server, 'GET', '/api/v1/runtimes/eks-c')).json.agents[0].lastSeenAt as string;
    const started = Date.now();
    const pending = api(server, 'POST', '/api/v1/integrations/test', {
      type: 'registry.ecr',
      runtime: 'eks-c',
      sharing: { runtimes: ['eks-c'] },
      ecr: { region: REGION, auth: { mode: 'iamRole', roleArn: s.roles.enrichOpen.arn } },
    });
    // While it waits, the runtime's view counts the test: queued, or leased to the claim the stopped agent
    // left open (Node sees a client's FIN on a held long poll only when it writes; ADR 0029), until the
    // task is withdrawn at the timeout.
    await waitFor(
      'the test to show on eks-c',
      async () => {
        const t = (await api(server, 'GET', '/api/v1/runtimes/eks-c')).json.queue?.tasks;
        return t !== undefined && t.queued + t.running === 1;
      },
      { timeoutMs: TASK_TIMEOUT_MS },
    );
    const r = await pending;
    expect(r.status, r.text).toBe(503);
    // It waited for an agent (a lower bound: the answer came at the timeout, not at once).
    expect(Date.now() - started).toBeGreaterThanOrEqual(TASK_TIMEOUT_MS - 1000);
    expect(r.json.error.message).toContain('waiting for runtime "eks-c"');
    expect(r.json.error.message).toContain(lastSeen.slice(0, 19));
    // Withdrawn: nothing is queued for the runtime any more, so an agent coming back does not run it.
    const view = (await api(server, 'GET', '/api/v1/runtimes/eks-c')).json;
    expect(view.queue).toMatchObject({ queued: 0, tasks: { queued: 0, running: 0 } });
  });
});

describe('registering a runtime again', () => {
  it('with another key stops the old key’s agents (their credential revoked); replicas of the new key serve', async () => {
    await startAgentFor('eks-d', s.users.chain);
    const old = agents['eks-d']!;
    const issued = await api(server, 'POST', '/api/v1/runtimes/eks-d/registration-tokens', {
      ttlSeconds: 600,
    });
    const start = (dataDir: string, tokenFile?: string) =>
      startAgent({
        server: cpProxy.url,
        runtime: 'eks-d',
        dataDir,
        ...(tokenFile ? { tokenFile } : {}),
        env: identityEnv(sc, s.users.chain),
      });
    // A new data directory, so a new key: as after a lost volume, or an agent moved to another cluster.
    const moved = join(tmp, 'eks-d-moved');
    agents['eks-d-moved'] = start(moved, await writeTokenFile(sc, 'eks-d-2', issued.json.registrationToken));
    // The old agent can no longer open eks-d's secrets: stopped, saying why, rather than failing its work.
    expect(await old.exited).toBe(3);
    expect(old.logs()).toContain('superseded by a later registration of the runtime with another key');
    // A replica of the new registration (same directory, same key and credential) is not affected.
    agents['eks-d-replica'] = start(moved);
    await waitFor('both agents of the new key connected', async () => {
      const view = (await api(server, 'GET', '/api/v1/runtimes/eks-d')).json;
      return view.agents.filter((a: { connected: boolean }) => a.connected).length === 2;
    });
    expect(agents['eks-d-moved'].proc.exitCode).toBeNull();
  });
});

describe('isolation and secrets', () => {
  it("a runtime:eks-a credential cannot complete eks-b's task (403)", async () => {
    const bTask = tasksSent('test').find((t) => t.runtime === 'eks-b');
    expect(bTask).toBeDefined();
    const cred = await credentialOf(sc, 'eks-a');
    const complete = await api(
      server,
      'POST',
      `/api/v1/agent/tasks/${bTask.id}/complete`,
      {
        protocol: AGENT_PROTOCOL,
        leaseId: bTask.leaseId,
        outcome: { ok: true, result: { ok: true, checks: [] } },
      },
      cred,
    );
    expect(complete.status, complete.text).toBe(403);
    const claim = await api(
      server,
      'POST',
      '/api/v1/agent/claim',
      { protocol: AGENT_PROTOCOL, runtime: 'eks-b', agentId: 'x', version: '0.2.0', waitMs: 0 },
      cred,
    );
    expect(claim.status).toBe(403);
  });

  it('a result that does not match the contract is refused (400)', async () => {
    const aTask = tasksSent('test').find((t) => t.runtime === 'eks-a');
    const cred = await credentialOf(sc, 'eks-a');
    const r = await api(
      server,
      'POST',
      `/api/v1/agent/tasks/${aTask.id}/complete`,
      {
        protocol: AGENT_PROTOCOL,
        leaseId: aTask.leaseId,
        outcome: { ok: true, result: { checks: 'all good' } },
      },
      cred,
    );
    expect(r.status, r.text).toBe(400);
  });

  it('no secret access key in anything the control plane sent the agents, or in their logs', async () => {
    const answers = claimAnswers();
    expect(answers.some((a) => a.json.jobs?.length > 0)).toBe(true);
    const everything = cpProxy.requests.map((r) => `${r.path}\n${r.body}\n${r.response ?? ''}`).join('\n');
    for (const secret of [
      s.users.ro.secretAccessKey,
      s.users.chain.secretAccessKey,
      s.users.stranger.secretAccessKey,
    ]) {
      expect(everything).not.toContain(secret);
      for (const a of Object.values(agents)) expect(a.logs()).not.toContain(secret);
      expect(server.logs()).not.toContain(secret);
    }
  });
});
