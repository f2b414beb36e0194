import { describe, expect, it } from 'vitest';
import { Redactor } from '../logging/redactor.js';
import { FakeAgentTaskStore } from '../store/fake-agent-task-store.js';
import { AgentTasks } from './agent-tasks.js';

// Every agent claim asks for a task before it takes a report, and tasks are rare: after an empty look the
// store is asked again only when a task was queued (here or at another replica) or a second went by.

function setup(opts: { wake?: (tasks: AgentTasks, runtime: string) => void } = {}) {
  const store = new FakeAgentTaskStore();
  let looks = 0;
  const claim = store.claim.bind(store);
  store.claim = (o) => {
    looks++;
    return claim(o);
  };
  let clock = 1_000_000;
  const tasks: AgentTasks = new AgentTasks({
    tasks: store,
    repo: { snapshot: () => ({ runtimes: new Map() }) as never },
    pins: { runtime: () => undefined } as never,
    executor: { canExecute: () => ({ ok: false }) } as never,
    redactor: new Redactor(),
    agentsOf: () =>
      Promise.resolve([
        {
          id: 'agent-1',
          version: '0.2.0',
          awsIdentityArn: null,
          registeredAt: '',
          lastSeenAt: '',
          connected: true,
        },
      ]),
    wake: (runtime) => opts.wake?.(tasks, runtime),
    timeoutMs: 100,
    pollMs: 20,
    now: () => clock,
  });
  const enqueue = () =>
    store.enqueue({
      runtime: 'eks-a',
      kind: 'inspect',
      payload: { inspect: { image: 'registry.example/app:1' } },
      ttlMs: 30_000,
    });
  return {
    tasks,
    enqueue,
    looks: () => looks,
    advance: (ms: number) => void (clock += ms),
  };
}

describe('agent task claims', () => {
  it('after an empty look, the next claims of the runtime do not ask the store within a second', async () => {
    const t = setup();
    expect(await t.tasks.claimFor('eks-a', 'agent-1')).toBeNull();
    expect(await t.tasks.claimFor('eks-a', 'agent-2')).toBeNull();
    expect(t.looks()).toBe(1);
    // Another runtime has its own look.
    expect(await t.tasks.claimFor('eks-b', 'agent-3')).toBeNull();
    expect(t.looks()).toBe(2);
    // A task whose agent stopped renewing comes due without a notification: found within a second.
    await t.enqueue();
    t.advance(999);
    expect(await t.tasks.claimFor('eks-a', 'agent-1')).toBeNull();
    t.advance(1);
    expect(await t.tasks.claimFor('eks-a', 'agent-1')).toMatchObject({ kind: 'inspect' });
    expect(t.looks()).toBe(3);
  });

  it("another replica's task notification makes the next claim ask at once", async () => {
    const t = setup();
    expect(await t.tasks.claimFor('eks-a', 'agent-1')).toBeNull();
    await t.enqueue();
    t.tasks.queuedElsewhere();
    expect(await t.tasks.claimFor('eks-a', 'agent-1')).toMatchObject({ kind: 'inspect' });
    // Found: the next claim asks again too (there may be more).
    expect(await t.tasks.claimFor('eks-a', 'agent-1')).toBeNull();
    expect(t.looks()).toBe(3);
  });

  it('a task queued here is found by the claim its wake-up starts', async () => {
    let claimed: Promise<unknown> | undefined;
    const t = setup({
      wake: (tasks, runtime) => {
        claimed = tasks.claimFor(runtime, 'agent-1');
      },
    });
    expect(await t.tasks.claimFor('eks-a', 'agent-1')).toBeNull();
    // Nobody answers: the inspection times out, which is not what this test is about.
    await expect(t.tasks.inspect('eks-a', { image: 'registry.example/app:1' })).rejects.toThrow();
    expect(await claimed).toMatchObject({ kind: 'inspect' });
  });
});
