import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { InspectTask } from '../contract/agent-protocol.js';
import { isAppError, NotFoundError } from '../domain/errors.js';
import { createLogger } from '../logging/logger.js';
import { Redactor } from '../logging/redactor.js';
import { AgentTasks } from '../runtimes/agent-tasks.js';
import { FakeAgentTaskStore } from '../store/fake-agent-task-store.js';
import type { Principal } from '../store/token-store.js';
import { runTaskJob, type TaskJobDeps } from './task-job.js';
import { AgentTransport } from './transport.js';

// Issue 11 point 3: "leases renewed while working". A connection test or inspection that runs longer
// than its lease stays with the agent working on it; another agent of the runtime gets it only if that
// one stops renewing. The agent side (runTaskJob) talks HTTP to the control plane's AgentTasks.

const LEASE_MS = 1000;
const principal: Principal = { id: 'cred-1', name: 'runtime eks-a', scopes: ['runtime:eks-a'] };

/** The control plane's two task routes, over HTTP, as the agent protocol has them. */
async function controlPlane(tasks: AgentTasks): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const m = /^\/api\/v1\/agent\/tasks\/([\w-]+)\/(renew|complete)$/.exec(req.url ?? '');
      const route = m?.[2] === 'renew' ? tasks.renew.bind(tasks) : tasks.complete.bind(tasks);
      const answer = m ? route(principal, m[1]!, JSON.parse(body)) : Promise.reject(new NotFoundError('no'));
      answer.then(
        (out) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out)),
        (err: unknown) => {
          const status = isAppError(err) && err.kind === 'conflict' ? 409 : 500;
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: String(err) } }));
        },
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { server, url: `http://127.0.0.1:${port}` };
}

describe('agent task leases', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  it('a task running longer than its lease is not handed to another agent', async () => {
    const store = new FakeAgentTaskStore();
    const redactor = new Redactor();
    const tasks = new AgentTasks({
      tasks: store,
      repo: { snapshot: () => ({ runtimes: new Map() }) as never },
      pins: { runtime: () => undefined } as never,
      executor: { canExecute: () => ({ ok: false }) } as never,
      redactor,
      agentsOf: () => Promise.resolve([]),
      wake: () => undefined,
      leaseMs: LEASE_MS,
      timeoutMs: 30_000,
    });
    const cp = await controlPlane(tasks);
    server = cp.server;
    const queued = await store.enqueue({
      runtime: 'eks-a',
      kind: 'inspect',
      payload: { inspect: { image: 'registry.example/app:1' } },
      ttlMs: 30_000,
    });
    const job = (await tasks.claimFor('eks-a', 'agent-1')) as InspectTask;
    expect(job).toMatchObject({ id: queued.id, leaseMs: LEASE_MS });

    // The inspection takes three leases; meanwhile a second agent of the runtime keeps claiming.
    const stolen: string[] = [];
    let working = true;
    const second = (async () => {
      while (working) {
        const t = await tasks.claimFor('eks-a', 'agent-2');
        if (t) stolen.push(t.id);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const transport = new AgentTransport(cp.url, 'runtime-credential');
    const deps = {
      transport,
      redactor,
      logger: createLogger(redactor, { level: 'silent' }),
      pipeline: {
        inspect: async () => {
          await new Promise((r) => setTimeout(r, 3 * LEASE_MS));
          throw new NotFoundError('no such image (after a long look)');
        },
      },
    } as unknown as TaskJobDeps;
    await runTaskJob(deps, job);
    working = false;
    await second;

    expect(stolen).toEqual([]);
    expect(await store.get(queued.id)).toMatchObject({
      status: 'done',
      owner: job.leaseId,
      result: { ok: false, kind: 'not-found' },
    });
  });
});
