import { describe, expect, it } from 'vitest';
import { HEALTH_PATHS, healthAnswer } from './health.js';

const state = (connected: boolean) => ({
  connected,
  runtime: 'eks-a',
  agentId: 'host-1-abcd',
  active: new Map([['rep_1', {}]]) as never,
});

describe('the agent’s health port', () => {
  it('/livez answers while the process serves, connected or not', () => {
    expect(healthAnswer(state(false), HEALTH_PATHS.live)).toEqual({ status: 200, body: { status: 'ok' } });
    expect(healthAnswer(state(true), HEALTH_PATHS.live)?.status).toBe(200);
  });

  it('/readyz is 503 until a claim reached the control plane, then 200', () => {
    // A status only: the agent's id and runtime are for /healthz, not for whoever can reach a probe.
    expect(healthAnswer(state(false), HEALTH_PATHS.ready)).toEqual({
      status: 503,
      body: { status: 'not connected' },
    });
    expect(healthAnswer(state(true), HEALTH_PATHS.ready)).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('/healthz says both and the jobs running, always 200; anything else is not served', () => {
    expect(healthAnswer(state(false), HEALTH_PATHS.health)).toEqual({
      status: 200,
      body: {
        status: 'not connected',
        runtime: 'eks-a',
        agent: 'host-1-abcd',
        connected: false,
        activeJobs: 1,
      },
    });
    expect(healthAnswer(state(true), '/metrics')).toBeUndefined();
    expect(healthAnswer(state(true), '/')).toBeUndefined();
  });
});
