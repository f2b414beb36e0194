import { createHttpServer } from '../integrations/node-http.js';
import type { AgentState } from './worker.js';

/** The paths the health port answers; the Kubernetes manifest's probes use the first two. */
export const HEALTH_PATHS = { live: '/livez', ready: '/readyz', health: '/healthz' } as const;

/**
 * The agent's only listening port, optional, on loopback unless told (`--health-host`; in a pod, the kubelet
 * probes the pod's address): `/livez` answers while the process serves, `/readyz` only while its last claim
 * reached the control plane (503 otherwise), `/healthz` says both and how many jobs run. Nothing else.
 */
export async function startHealthServer(
  state: AgentState,
  listen: { port: number; host: string },
  signal: AbortSignal,
): Promise<void> {
  const server = createHttpServer((req, res) => {
    const answer = healthAnswer(state, (req.url ?? '').split('?')[0] ?? '');
    if (!answer) return void res.writeHead(404).end();
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve());
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

type HealthState = Pick<AgentState, 'connected' | 'runtime' | 'agentId' | 'active'>;

/** What a health path answers; undefined: not one of them (404). */
export function healthAnswer(
  state: HealthState,
  path: string,
): { status: 200 | 503; body: Record<string, unknown> } | undefined {
  if (path === HEALTH_PATHS.live) return { status: 200, body: { status: 'ok' } };
  if (path !== HEALTH_PATHS.ready && path !== HEALTH_PATHS.health) return undefined;
  const body = {
    status: state.connected ? 'ok' : 'not connected',
    runtime: state.runtime,
    agent: state.agentId,
    connected: state.connected,
    activeJobs: state.active.size,
  };
  return { status: path === HEALTH_PATHS.ready && !state.connected ? 503 : 200, body };
}
