import { ObservationResult, type ObservationBatch } from '../contract/deployments.js';
import type { Logger } from '../logging/logger.js';
import type { AgentTransport } from './transport.js';

/**
 * The deployment observer as an agent task: watches the cluster the agent runs in (in-cluster service
 * account, or KUBECONFIG) and sends what runs to the control plane with the runtime's own credential. A send
 * that fails makes the observer's next batch a full state, so nothing missed while the control plane was away
 * stays missed. Loaded on demand: agents that do not watch never load the Kubernetes client.
 */
export async function observeDeployments(
  deps: { transport: AgentTransport; runtime: string; logger: Logger; resyncMs?: number },
  signal: AbortSignal,
): Promise<void> {
  const [{ KubeConfig }, { startDeploymentObserver }] = await Promise.all([
    import('@kubernetes/client-node'),
    import('../deployments/observer/observer.js'),
  ]);
  const kubeConfig = new KubeConfig();
  // KUBECONFIG, ~/.kube/config, or the pod's service account, in the client's documented order.
  kubeConfig.loadFromDefault();
  const path = `/api/v1/runtimes/${encodeURIComponent(deps.runtime)}/observations`;
  const observer = startDeploymentObserver({
    kubeConfig,
    signal,
    ...(deps.resyncMs !== undefined ? { resyncMs: deps.resyncMs } : {}),
    // The release on stop is sent after the signal aborted: it gets its own short deadline instead.
    send: (batch: ObservationBatch) =>
      deps.transport.call(ObservationResult, 'POST', path, batch, {
        signal: batch.release ? AbortSignal.timeout(5_000) : signal,
      }),
    onError: (err, where) => deps.logger.warn({ err, where }, `deployment observer: ${where}`),
  });
  deps.logger.info(
    { runtime: deps.runtime, cluster: kubeConfig.getCurrentCluster()?.server ?? null },
    'watching the cluster for running images',
  );
  await observer.stopped;
}
