import { describe, expect, it } from 'vitest';
import { HeldLeases, LEASE_MEMO_MARGIN_MS, TaskLooks } from './dispatch-memo.js';

describe('TaskLooks', () => {
  const setup = () => {
    const clock = { t: 1_000_000 };
    return {
      clock,
      looks: new TaskLooks(
        () => 1000,
        () => clock.t,
      ),
    };
  };

  it('looks until a look found no task, then not until a wake-up or the interval', () => {
    const { clock, looks } = setup();
    expect(looks.needed('eks-a')).toBe(true);
    looks.start('eks-a')(false);
    expect(looks.needed('eks-a')).toBe(false);
    // Another runtime's empty look says nothing about this one.
    expect(looks.needed('eks-b')).toBe(true);
    looks.woken();
    expect(looks.needed('eks-a')).toBe(true);
    looks.start('eks-a')(false);
    clock.t += 899;
    expect(looks.needed('eks-a')).toBe(false);
    clock.t += 1;
    expect(looks.needed('eks-a')).toBe(true);
  });

  it('looks again when a wake-up came while a look ran, or the look found a task', () => {
    const { looks } = setup();
    const looked = looks.start('eks-a');
    looks.woken();
    looked(false);
    expect(looks.needed('eks-a')).toBe(true);
    looks.start('eks-a')(false);
    looks.start('eks-a')(true);
    expect(looks.needed('eks-a')).toBe(true);
  });
});

describe('HeldLeases', () => {
  const M = LEASE_MEMO_MARGIN_MS;

  it('knows a lease handed out here, by job and lease id, until a margin before the store’s term', () => {
    const clock = { t: 1_000_000 };
    const held = new HeldLeases(() => clock.t);
    held.remember('rep_1', 'agent:eks-a:x:1', 'eks-a', clock.t + 30_000);
    expect(held.get('rep_1', 'agent:eks-a:x:1')).toEqual({ runtime: 'eks-a' });
    // Another lease id (a guess, or an earlier attempt's) is not this one: the store is asked.
    expect(held.get('rep_1', 'agent:eks-a:x:2')).toBeUndefined();
    expect(held.get('rep_2', 'agent:eks-a:x:1')).toBeUndefined();
    clock.t += 20_000;
    held.renewed('rep_1', 'agent:eks-a:x:1', clock.t + 30_000);
    clock.t += 30_000 - M - 1;
    expect(held.get('rep_1', 'agent:eks-a:x:1')).toEqual({ runtime: 'eks-a' });
    // From here another replica whose clock runs up to the margin ahead may take the job: ask the store.
    clock.t += 1;
    expect(held.get('rep_1', 'agent:eks-a:x:1')).toBeUndefined();
  });

  it('a renewal of another lease does not extend this one; a new claim replaces it', () => {
    const clock = { t: 0 };
    const held = new HeldLeases(() => clock.t);
    held.remember('rep_1', 'L1', 'eks-a', M + 100);
    held.renewed('rep_1', 'L2', 100_000);
    clock.t = 100;
    expect(held.get('rep_1', 'L1')).toBeUndefined();
    held.remember('rep_1', 'L2', 'eks-a', clock.t + M + 100);
    expect(held.get('rep_1', 'L2')).toEqual({ runtime: 'eks-a' });
    held.forget('rep_1');
    expect(held.get('rep_1', 'L2')).toBeUndefined();
  });

  it('is bounded: the oldest leases are forgotten first', () => {
    const held = new HeldLeases(() => 0);
    for (let i = 0; i <= 4096; i++) held.remember(`rep_${i}`, `L${i}`, 'eks-a', M + 1000);
    expect(held.size).toBe(4096);
    expect(held.get('rep_0', 'L0')).toBeUndefined();
    expect(held.get('rep_4096', 'L4096')).toEqual({ runtime: 'eks-a' });
  });
});
