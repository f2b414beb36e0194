import { describe, expect, it } from 'vitest';
import { backoffMs } from '../src/agent/backoff.js';
import { toSnapshot } from '../src/agent/snapshot.js';
import { AGENT_PROTOCOL, ClaimRequest } from '../src/contract/agent-protocol.js';
import { InputError } from '../src/domain/errors.js';
import { checkProtocol } from '../src/runtimes/agent-protocol-check.js';
import { waitingMessage } from '../src/runtimes/agent-hub.js';

const RECIPIENT = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';

describe('agent protocol', () => {
  it('accepts its own version and names both versions otherwise, saying which side to upgrade', () => {
    expect(() => checkProtocol({ protocol: AGENT_PROTOCOL })).not.toThrow();
    const newer = (() => {
      try {
        checkProtocol({ protocol: AGENT_PROTOCOL + 1 });
      } catch (err) {
        return err as InputError;
      }
      throw new Error('accepted a newer protocol');
    })();
    expect(newer).toBeInstanceOf(InputError);
    expect(newer.message).toBe(
      `This control plane speaks agent protocol ${AGENT_PROTOCOL}; the agent sent protocol ${AGENT_PROTOCOL + 1}.`,
    );
    expect(newer.hints.join(' ')).toContain('upgrade the control plane');
    expect(() => checkProtocol({})).toThrow('the agent sent no protocol version');
    expect(() => checkProtocol(null)).toThrow(InputError);
  });

  it('claims default to a 20 s long poll of one job and refuse odd runtime names', () => {
    const c = ClaimRequest.parse({
      protocol: AGENT_PROTOCOL,
      runtime: 'eks-a',
      agentId: 'a1',
      version: '0.2.0',
    });
    expect(c).toMatchObject({ waitMs: 20_000, max: 1 });
    expect(ClaimRequest.safeParse({ ...c, runtime: 'EKS A' }).success).toBe(false);
    expect(ClaimRequest.safeParse({ ...c, waitMs: 3_600_000 }).success).toBe(false);
  });

  it("builds the agent's snapshot from what the control plane sent, validated with the repository's kinds", () => {
    const runtime = {
      file: 'runtimes/eks-a/runtime.yaml',
      resource: {
        apiVersion: 'imagetrail.dev/v1alpha1',
        kind: 'Runtime',
        metadata: { name: 'eks-a' },
        spec: { type: 'hybrid', version: '0.2.0', recipient: RECIPIENT },
      },
    };
    const snap = toSnapshot({ protocol: AGENT_PROTOCOL, commit: 'abc', runtime, integrations: [] });
    expect(snap.commit).toBe('abc');
    expect(snap.runtimes.get('eks-a')?.spec.recipient).toBe(RECIPIENT);
    // An invalid resource is reported and left out, never used.
    const bad = toSnapshot({
      protocol: AGENT_PROTOCOL,
      commit: 'abc',
      runtime: { ...runtime, resource: { ...runtime.resource, spec: { type: 'elsewhere' } } },
      integrations: [],
    });
    expect(bad.runtimes.size).toBe(0);
    expect(bad.problems.length).toBeGreaterThan(0);
    // A resource sent under a path where it does not belong is not used either.
    const misplaced = toSnapshot({
      protocol: AGENT_PROTOCOL,
      commit: null,
      runtime: { ...runtime, file: 'resources/control-planes/control-plane.yaml' },
      integrations: [],
    });
    expect(misplaced.runtimes.size).toBe(0);
    expect(misplaced.problems.length).toBeGreaterThan(0);
  });

  it('says why work waits only when it waits and nobody serves the runtime', () => {
    const seen = { id: 'a', version: '0.2.0', awsIdentityArn: null, registeredAt: 't0', lastSeenAt: '12:03' };
    expect(waitingMessage('eks-a', [{ ...seen, connected: true }], 3)).toBeUndefined();
    expect(waitingMessage('eks-a', [{ ...seen, connected: false }], 0)).toBeUndefined();
    expect(waitingMessage('eks-a', [{ ...seen, connected: false }], 2)).toBe(
      'waiting for runtime eks-a: no agent connected since 12:03',
    );
    expect(waitingMessage('eks-a', [], 1)).toContain('imagetrail runtime token eks-a');
  });

  it('backs off exponentially with jitter between half and the full ceiling, capped', () => {
    for (let i = 0; i < 50; i++) {
      const d = backoffMs(3);
      expect(d).toBeGreaterThanOrEqual(1000);
      expect(d).toBeLessThanOrEqual(2000);
      expect(backoffMs(40)).toBeLessThanOrEqual(15_000);
    }
  });
});
