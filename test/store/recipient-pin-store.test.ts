import { describe, expect, it } from 'vitest';
import { FakeAuditStore } from '../../src/store/fake-audit-store.js';
import {
  FakeRecipientPinStore,
  SqlRecipientPinStore,
  type RecipientPinStore,
} from '../../src/store/recipient-pin-store.js';
import { RecipientPins } from '../../src/runtimes/recipient-pins.js';
import { eachDatabase, useTestDatabase } from '../helpers/databases.js';

const A = 'age17m7vuy8eek2hstf8cj88lhfu77af6kl5zz7fte39haw97m2wkexsmvesd2';
const B = 'age1f3smn3kye9ektyc0ary4zhlqnrwstc872gxvrylyrqx6kcs9ddwqn7jm93';

const subjects: [string, () => () => RecipientPinStore][] = [
  ['fake', () => () => new FakeRecipientPinStore()],
  ...eachDatabase().map((engine): [string, () => () => RecipientPinStore] => [
    engine,
    () => {
      const database = useTestDatabase(engine);
      return () => new SqlRecipientPinStore({ db: database().db });
    },
  ]),
];

describe.each(subjects)('recipient pins (%s)', (_label, setup) => {
  const store = setup();

  it('sets, replaces and lists pins; the control-plane pin marks the deployment as established', async () => {
    const s = store();
    const audit = new FakeAuditStore();
    const pins = await RecipientPins.load(s, audit);
    expect(pins.established).toBe(false);
    await pins.pinRuntime('cloud', A, 'admin', null);
    await pins.pinRuntime('cloud', B, 'registration');
    await pins.pinControlPlane(A, 'bootstrap');
    const reloaded = await RecipientPins.load(s);
    expect(reloaded.runtime('cloud')).toBe(B);
    expect(reloaded.controlPlane()).toBe(A);
    expect(reloaded.established).toBe(true);
    expect((await s.list()).map((p) => [p.owner, p.source])).toEqual([
      ['control-plane', 'bootstrap'],
      ['runtime/cloud', 'registration'],
    ]);
    // Each change is audited with the previous value; setting the same pin again is not a change.
    await pins.pinRuntime('cloud', B, 'admin');
    expect(audit.events.map((e) => [e.action, e.target, e.detail['previous'] ?? null])).toEqual([
      ['recipient.pin', 'runtime/cloud', null],
      ['recipient.pin', 'runtime/cloud', A],
      ['recipient.pin', 'control-plane', null],
    ]);
  });

  it('refuses what is not an age recipient or an owner name', async () => {
    const s = store();
    const at = new Date().toISOString();
    await expect(
      s.set({ owner: 'runtime/x', recipient: 'ssh-ed25519 AAAA', source: 'admin', pinnedAt: at }),
    ).rejects.toThrow();
    await expect(s.set({ owner: 'someone', recipient: A, source: 'admin', pinnedAt: at })).rejects.toThrow();
  });
});
