import { createHttpServer } from '../integrations/node-http.js';
import type { AgentState } from './worker.js';

/**
 * The agent's only listening port, optional and loopback by default: /healthz for a kubelet probe. It
 * says whether the last claim reached the control plane and how many jobs run; nothing else.
 */
export async function startHealthServer(state: AgentState, port: number, signal: AbortSignal): Promise<void> {
  const server = createHttpServer((req, res) => {
    if (req.url !== '/healthz') {
      res.writeHead(404).end();
      return;
    }
    const body = {
      status: 'ok',
      runtime: state.runtime,
      agent: state.agentId,
      connected: state.connected,
      activeJobs: state.active.size,
    };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, process.env['IMAGETRAIL_AGENT_HEALTH_HOST'] ?? '127.0.0.1', () => resolve());
  });
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve());
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
