import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PATHS } from '../peers/kube-apiserver.js';
import { waitFor } from '../peers/process.js';
import { startAgent, type AgentHandle } from '../helpers/agent.js';
import { bareRemote } from '../helpers/git.js';
import { api, cli, startImagetrail, type ServerHandle } from '../helpers/imagetrail.js';
import { cluster, deployment, digest, pod, replicaSet } from '../deployments/harness.js';

// `imagetrail agent --watch-deployments` in a "cluster" (the Kubernetes API stand-in, reached through a
// kubeconfig as in a pod): the agent observes the running pods and reports them with its runtime's own
// credential; the control plane keeps the intervals under that runtime.

let server: ServerHandle;
let remote: Awaited<ReturnType<typeof bareRemote>>;
let k: Awaited<ReturnType<typeof cluster>>;
let tmp: string;
let agent: AgentHandle | undefined;
const D = digest('d');

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'imagetrail-agent-deploy-'));
  [remote, k] = await Promise.all([bareRemote(), cluster()]);
  server = await startImagetrail({ configRepo: remote.url, startTimeoutMs: 120_000 });
  const r = await cli(server, [
    'runtime',
    'add',
    'eks-a',
    '--type',
    'hybrid',
    '--version',
    '0.2.0',
    '--json',
  ]);
  expect(r.code, r.stderr).toBe(0);
  const tokenFile = join(tmp, 'token');
  await writeFile(tokenFile, JSON.parse(r.stdout).registration.registrationToken + '\n', { mode: 0o600 });
  k.api.apply(PATHS.deployments, deployment('prod', 'web'));
  k.api.apply(PATHS.replicasets, replicaSet('prod', 'web-1', 'web'));
  for (const i of [1, 2])
    k.api.apply(
      PATHS.pods,
      pod(
        'prod',
        `web-1-${i}`,
        { kind: 'ReplicaSet', name: 'web-1' },
        { repository: 'shop/web', digest: D },
        '2026-03-01T10:00:00.000Z',
      ),
    );
  agent = startAgent({
    server: server.url,
    runtime: 'eks-a',
    dataDir: join(tmp, 'agent'),
    tokenFile,
    args: ['--watch-deployments'],
    env: { KUBECONFIG: k.kubeconfig },
  });
}, 180_000);

afterAll(async () => {
  await agent?.stop();
  await server?.stop();
  await k?.stop();
  await remote?.cleanup();
  await rm(tmp, { recursive: true, force: true });
});

describe('the agent watching its cluster', () => {
  it("reports the running digest under its own runtime, and a rollout's end", async () => {
    let items: Array<Record<string, unknown>> = [];
    await waitFor(
      'the agent to report the running pods',
      async () => {
        items = (await api(server, 'GET', '/api/v1/deployments?runtime=eks-a')).json.items ?? [];
        return items.length > 0;
      },
      { timeoutMs: 120_000, intervalMs: 200 },
    );
    expect(items[0]).toMatchObject({ runtime: 'eks-a', namespace: 'prod', digest: D, replicas: 2 });
    expect(items[0]?.['endedAt'] ?? null).toBeNull();

    for (const i of [1, 2]) k.api.delete(PATHS.pods, 'prod', `web-1-${i}`);
    await waitFor(
      'the interval to end',
      async () => {
        const [first] = (await api(server, 'GET', '/api/v1/deployments?runtime=eks-a')).json.items ?? [];
        return Boolean(first?.endedAt);
      },
      { timeoutMs: 120_000, intervalMs: 200 },
    );
    expect(agent?.logs()).toContain('watching the cluster for running images');
  });
});
