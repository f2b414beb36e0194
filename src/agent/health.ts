import { InputError } from '../domain/errors.js';
import { createHttpServer } from '../integrations/node-http.js';
import type { AgentState } from './worker.js';

/** The paths the health port answers; the Kubernetes manifest's probes use the first two. */
export const HEALTH_PATHS = { live: '/livez', ready: '/readyz', health: '/healthz' } as const;

/**
 * The agent's only listening port, optional, on loopback unless told (`--health-host`; in a pod, the kubelet
 * probes the pod's address): `/livez` answers while the process runs, `/readyz` only while its last claim
 * reached the control plane (503 otherwise, and while it starts), `/healthz` says both and how many jobs
 * run. Opened before the agent registers; `read` gives the state as it is at each request.
 */
export async function openHealthPort(
  read: () => HealthState,
  listen: { port: number; host: string },
): Promise<{ close(): Promise<void> }> {
  const server = createHttpServer((req, res) => {
    const answer = healthAnswer(read(), (req.url ?? '').split('?')[0] ?? '');
    if (!answer) return void res.writeHead(404).end();
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new InputError(
          `Cannot serve the health port on ${listen.host}:${listen.port} (${err.code ?? err.message}).`,
          {
            hints: [
              'Check --health-port and --health-host (IMAGETRAIL_AGENT_HEALTH_PORT, IMAGETRAIL_AGENT_HEALTH_HOST).',
            ],
          },
        ),
      ),
    );
    server.listen(listen.port, listen.host, () => resolve());
  });
  return { close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

export type HealthState = Pick<AgentState, 'connected' | 'runtime' | 'agentId' | 'active'>;

/** What a health path answers; undefined: not one of them (404). */
export function healthAnswer(
  state: HealthState,
  path: string,
): { status: 200 | 503; body: Record<string, unknown> } | undefined {
  if (path === HEALTH_PATHS.live) return { status: 200, body: { status: 'ok' } };
  if (path === HEALTH_PATHS.ready)
    return state.connected
      ? { status: 200, body: { status: 'ok' } }
      : { status: 503, body: { status: 'not connected' } };
  if (path !== HEALTH_PATHS.health) return undefined;
  const body = {
    status: state.connected ? 'ok' : 'not connected',
    runtime: state.runtime,
    agent: state.agentId,
    connected: state.connected,
    activeJobs: state.active.size,
  };
  return { status: 200, body };
}
